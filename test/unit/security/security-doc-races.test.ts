/**
 * The ScramStore and the Authorizer over a SecurityDoc that another broker writes too (cluster
 * mode's compare-and-swap, here an in-memory document with a version): a write that lost the race
 * is re-applied on top of the other broker's value, so neither change is lost; a change seen from
 * the other broker replaces the memory copy.
 */
import { describe, expect, it } from 'vitest';
import { Authorizer } from '../../../src/security/authorizer.js';
import type { SecurityDoc } from '../../../src/security/security-doc.js';
import { ScramStore } from '../../../src/security/scram-store.js';

/** One shared value with a version; each broker's view remembers the version it last knew. */
class SharedDoc {
  value: Buffer | undefined;
  version = 0;
  private listeners: Array<{ view: { known: number }; listener: (v: Buffer | undefined) => void }> = [];

  view(): SecurityDoc & { known: number } {
    const view = {
      known: 0,
      read: async () => {
        view.known = this.version;
        return this.value;
      },
      write: async (value: Buffer) => {
        if (view.known !== this.version) return false;
        this.value = value;
        this.version += 1;
        view.known = this.version;
        for (const l of this.listeners) if (l.view !== view) this.deliver(l);
        return true;
      },
      onChange: (listener: (v: Buffer | undefined) => void) => {
        this.listeners.push({ view, listener });
      },
    };
    return view;
  }

  /** Delivery is held while `holding` (a watch event still on its way). */
  holding = false;
  private held: Array<() => void> = [];
  private deliver(l: { view: { known: number }; listener: (v: Buffer | undefined) => void }): void {
    const version = this.version;
    const value = this.value;
    const send = () => {
      if (version <= l.view.known) return;
      l.view.known = version;
      l.listener(value);
    };
    if (this.holding) this.held.push(send);
    else send();
  }

  release(): void {
    this.holding = false;
    for (const send of this.held.splice(0)) send();
  }
}

describe('security documents shared by brokers', () => {
  it('ScramStore: a write that lost the race is re-applied on the other broker’s value', async () => {
    const doc = new SharedDoc();
    const one = await ScramStore.openDoc(doc.view());
    const two = await ScramStore.openDoc(doc.view());
    doc.holding = true; // broker two has not seen broker one's write yet when it writes its own
    await one.setPassword('alice', 'a-pw');
    await two.setPassword('bob', 'b-pw');
    doc.release();
    for (const store of [one, two]) {
      expect(store.list().map((u) => u.user)).toEqual(['alice', 'bob']);
      expect(await store.verifyPassword('alice', 'a-pw')).toBe(true);
      expect(await store.verifyPassword('bob', 'b-pw')).toBe(true);
    }
    await two.remove('alice');
    expect(one.list().map((u) => u.user)).toEqual(['bob']);
    expect(await one.verifyPassword('alice', 'a-pw')).toBe(false);
  });

  it('Authorizer: ACLs created on two brokers at once are both kept and both enforced everywhere', async () => {
    const doc = new SharedDoc();
    const options = { superUsers: [], allowEveryoneIfNoAclFound: false };
    const one = await Authorizer.openDoc(doc.view(), options);
    const two = await Authorizer.openDoc(doc.view(), options);
    const allowRead = (principal: string) => ({ resourceType: 2, resourceName: 'orders', patternType: 3, principal, host: '*', operation: 3, permissionType: 3 });
    doc.holding = true;
    await one.create([allowRead('User:alice')]);
    await two.create([allowRead('User:bob')]);
    doc.release();
    for (const a of [one, two]) {
      for (const principal of ['User:alice', 'User:bob']) expect(a.authorize({ principal, host: '1.2.3.4', resource: 'Topic', name: 'orders', operation: 'Read' })).toBe(true);
      expect(a.authorize({ principal: 'User:carol', host: '1.2.3.4', resource: 'Topic', name: 'orders', operation: 'Read' })).toBe(false);
    }
  });
});
