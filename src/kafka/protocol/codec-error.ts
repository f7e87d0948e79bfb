/**
 * KafkaCodecError: the one error type of the Kafka wire codec. A frame that fails to decode is
 * never partially trusted: the connection answers (or closes) per the server's rules.
 */
export const CODEC_ERROR_CODES = ['TRUNCATED', 'BAD_LENGTH', 'BAD_VARINT', 'FRAME_TOO_LARGE', 'UNKNOWN_API', 'UNSUPPORTED_VERSION'] as const;

export type CodecErrorCode = (typeof CODEC_ERROR_CODES)[number];

export class KafkaCodecError extends Error {
  override readonly name = 'KafkaCodecError';

  constructor(
    readonly code: CodecErrorCode,
    message: string,
  ) {
    super(message);
  }
}
