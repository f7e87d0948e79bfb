"""A gRPC client that knows nothing of Rill's .proto files: it learns every service and message
from the broker's server reflection (Debian's python3-grpcio and python3-protobuf), loads the
served FileDescriptorProtos into a protobuf DescriptorPool (which checks them as strictly as
protoc's output is checked), builds message classes from them and calls real RPCs.

Only the reflection protocol's own messages are declared here (by hand, with descriptor_pb2),
as a generic reflection client must. Prints one JSON object with what it saw; the vitest side
asserts on it. Usage: reflection-client.py HOST:PORT
"""
import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

F = descriptor_pb2.FieldDescriptorProto


def _field(msg, name, number, ftype, type_name=None, repeated=False, oneof=None):
    f = msg.field.add(name=name, number=number, type=ftype,
                      label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL)
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof


def reflection_classes(version):
    """The reflection protocol's request/response classes, declared by hand."""
    pkg = f'grpc.reflection.{version}'
    fd = descriptor_pb2.FileDescriptorProto(name=f'client/{version}/reflection.proto', package=pkg, syntax='proto3')
    req = fd.message_type.add(name='ServerReflectionRequest')
    req.oneof_decl.add(name='message_request')
    _field(req, 'host', 1, F.TYPE_STRING)
    _field(req, 'file_by_filename', 3, F.TYPE_STRING, oneof=0)
    _field(req, 'file_containing_symbol', 4, F.TYPE_STRING, oneof=0)
    _field(req, 'list_services', 7, F.TYPE_STRING, oneof=0)
    res = fd.message_type.add(name='ServerReflectionResponse')
    res.oneof_decl.add(name='message_response')
    _field(res, 'valid_host', 1, F.TYPE_STRING)
    _field(res, 'file_descriptor_response', 4, F.TYPE_MESSAGE, f'.{pkg}.FileDescriptorResponse', oneof=0)
    _field(res, 'list_services_response', 6, F.TYPE_MESSAGE, f'.{pkg}.ListServiceResponse', oneof=0)
    _field(res, 'error_response', 7, F.TYPE_MESSAGE, f'.{pkg}.ErrorResponse', oneof=0)
    fdr = fd.message_type.add(name='FileDescriptorResponse')
    _field(fdr, 'file_descriptor_proto', 1, F.TYPE_BYTES, repeated=True)
    lsr = fd.message_type.add(name='ListServiceResponse')
    _field(lsr, 'service', 1, F.TYPE_MESSAGE, f'.{pkg}.ServiceResponse', repeated=True)
    sr = fd.message_type.add(name='ServiceResponse')
    _field(sr, 'name', 1, F.TYPE_STRING)
    er = fd.message_type.add(name='ErrorResponse')
    _field(er, 'error_code', 1, F.TYPE_INT32)
    _field(er, 'error_message', 2, F.TYPE_STRING)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return (message_class(pool, f'{pkg}.ServerReflectionRequest'), message_class(pool, f'{pkg}.ServerReflectionResponse'))


def status_classes():
    """google.rpc.Status, google.protobuf.Any and google.rpc.ErrorInfo, declared by hand."""
    fd = descriptor_pb2.FileDescriptorProto(name='client/rpc/status.proto', package='google.rpc', syntax='proto3')
    status = fd.message_type.add(name='Status')
    _field(status, 'code', 1, F.TYPE_INT32)
    _field(status, 'message', 2, F.TYPE_STRING)
    _field(status, 'details', 3, F.TYPE_MESSAGE, '.google.rpc.Any', repeated=True)
    any_ = fd.message_type.add(name='Any')
    _field(any_, 'type_url', 1, F.TYPE_STRING)
    _field(any_, 'value', 2, F.TYPE_BYTES)
    info = fd.message_type.add(name='ErrorInfo')
    _field(info, 'reason', 1, F.TYPE_STRING)
    _field(info, 'domain', 2, F.TYPE_STRING)
    entry = info.nested_type.add(name='MetadataEntry')
    _field(entry, 'key', 1, F.TYPE_STRING)
    _field(entry, 'value', 2, F.TYPE_STRING)
    entry.options.map_entry = True
    _field(info, 'metadata', 3, F.TYPE_MESSAGE, '.google.rpc.ErrorInfo.MetadataEntry', repeated=True)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_class(pool, 'google.rpc.Status'), message_class(pool, 'google.rpc.ErrorInfo')


def message_class(pool, name):
    desc = pool.FindMessageTypeByName(name)
    if hasattr(message_factory, 'GetMessageClass'):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


def reflect(channel, version, requests):
    Req, Res = reflection_classes(version)
    call = channel.stream_stream(f'/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo',
                                 request_serializer=Req.SerializeToString, response_deserializer=Res.FromString)
    return list(call(iter([Req(**r) for r in requests]), timeout=15))


def main():
    address = sys.argv[1]
    channel = grpc.insecure_channel(address)
    out = {}
    listed = reflect(channel, 'v1', [{'list_services': '*'}])[0]
    services = sorted(s.name for s in listed.list_services_response.service)
    out['services'] = services
    out['v1alpha_services'] = sorted(s.name for s in reflect(channel, 'v1alpha', [{'list_services': ''}])[0].list_services_response.service)

    # Every file, by the symbols of the listed services, then the missing ones by name.
    files = {}
    answers = reflect(channel, 'v1', [{'file_containing_symbol': s} for s in services] + [{'file_containing_symbol': 'rill.v1.NoSuchThing'}])
    out['unknown_symbol_error'] = answers[-1].error_response.error_code
    for a in answers[:-1]:
        for raw in a.file_descriptor_response.file_descriptor_proto:
            fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files[fd.name] = fd
    out['files'] = {name: list(fd.dependency) for name, fd in sorted(files.items())}
    by_method = reflect(channel, 'v1', [{'file_containing_symbol': 'rill.v1.ConsumeService.Fetch'}, {'file_by_filename': 'rill/v1/common.proto'}])
    out['method_file'] = descriptor_pb2.FileDescriptorProto.FromString(by_method[0].file_descriptor_response.file_descriptor_proto[0]).name
    out['by_name_file'] = descriptor_pb2.FileDescriptorProto.FromString(by_method[1].file_descriptor_response.file_descriptor_proto[0]).name

    pool = descriptor_pool.DescriptorPool()
    pending = dict(files)
    while pending:
        ready = [fd for fd in pending.values() if all(d not in pending for d in fd.dependency)]
        if not ready:
            raise SystemExit(f'unresolvable imports among {sorted(pending)}')
        for fd in ready:
            pool.Add(fd)
            del pending[fd.name]

    fetch_req = pool.FindMessageTypeByName('rill.v1.FetchRequest')
    out['fetch_fields'] = [f.name for f in fetch_req.fields]
    topic_info = pool.FindMessageTypeByName('rill.v1.TopicInfo')
    entry = topic_info.fields_by_name['configs'].message_type
    out['configs_entry'] = {'full_name': entry.full_name, 'map_entry': entry.GetOptions().map_entry}
    header = pool.FindMessageTypeByName('rill.v1.Header')
    value = header.fields_by_name['value']
    out['header_value_optional'] = value.containing_oneof is not None and value.containing_oneof.name == '_value'
    out['header_value_proto3_optional'] = any(f.proto3_optional for f in files['rill/v1/common.proto'].message_type[0].field if f.name == 'value')

    def unary(service, method, request):
        sdesc = pool.FindServiceByName(service)
        mdesc = sdesc.methods_by_name[method]
        Req, Res = message_class(pool, mdesc.input_type.full_name), message_class(pool, mdesc.output_type.full_name)
        call = channel.unary_unary(f'/{sdesc.full_name}/{method}', request_serializer=Req.SerializeToString, response_deserializer=Res.FromString)
        return call(json_format.ParseDict(request, Req()), timeout=15)

    created = unary('rill.v1.TopicService', 'Create', {'name': 'py-reflect', 'partitions': 2, 'configs': {'retention.ms': '60000'}})
    out['created'] = json_format.MessageToDict(created, preserving_proto_field_name=True)
    unary('rill.v1.ProduceService', 'Produce', {'topic': 'py-reflect', 'partition': 1, 'records': [{'key': 'aw==', 'value': 'dg=='}, {'value': 'bg=='}]})
    fetched = unary('rill.v1.ConsumeService', 'Fetch', {'topic': 'py-reflect', 'partition': 1, 'offset': '0', 'max_bytes': 4096})
    out['fetched'] = json_format.MessageToDict(fetched, preserving_proto_field_name=True)
    out['second_has_key'] = fetched.records[1].HasField('key')
    out['first_has_key'] = fetched.records[0].HasField('key')
    # A server stream from the same descriptors: started, the records, caught_up.
    sdesc = pool.FindServiceByName('rill.v1.ConsumeService')
    mdesc = sdesc.methods_by_name['Subscribe']
    SubReq, SubRes = message_class(pool, mdesc.input_type.full_name), message_class(pool, mdesc.output_type.full_name)
    subscribe = channel.unary_stream('/rill.v1.ConsumeService/Subscribe', request_serializer=SubReq.SerializeToString, response_deserializer=SubRes.FromString)
    stream = subscribe(json_format.ParseDict({'topic': 'py-reflect', 'partitions': [1], 'start': 'EARLIEST'}, SubReq()), timeout=15)
    kinds = []
    for message in stream:
        kind = message.WhichOneof('event') or 'records'
        kinds.append([kind, len(message.records), message.high_watermark])
        if kind == 'caught_up':
            stream.cancel()
            break
    out['subscribe'] = kinds

    health = unary('grpc.health.v1.Health', 'Check', {'service': 'rill.v1.TopicService'})
    out['health'] = json_format.MessageToDict(health)
    try:
        unary('rill.v1.TopicService', 'Describe', {'name': 'no-such-topic'})
        out['describe_missing'] = 'OK'
    except grpc.RpcError as err:
        out['describe_missing'] = err.code().name
        trailers = dict(err.trailing_metadata())
        Status, ErrorInfo = status_classes()
        status = Status.FromString(trailers['grpc-status-details-bin'])
        info = ErrorInfo.FromString(status.details[0].value)
        out['describe_missing_details'] = {'code': status.code, 'message': status.message, 'type_url': status.details[0].type_url,
                                           'reason': info.reason, 'domain': info.domain, 'rill_error_code': trailers['rill-error-code']}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
