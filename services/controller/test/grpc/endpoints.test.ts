// Where a client with several controllers sends its next call (grpc/endpoints.ts): the
// first configured address, a standby's redirect followed (also outside the list), an
// unreachable address left for the next in the list, no loop when a redirect names the
// address that just answered it, and an address whose call timed out avoided for a while.

import { describe, expect, it } from 'vitest';
import { ControllerEndpoints, MAX_UNLISTED_CHANNELS } from '../../src/grpc/endpoints.ts';

describe('ControllerEndpoints', () => {
  it('starts with the first address and follows redirects', () => {
    const e = new ControllerEndpoints(['a:1', 'b:2', 'c:3']);
    expect(e.current).toBe('a:1');
    expect(e.redirect('a:1', 'c:3')).toBe(true);
    expect(e.current).toBe('c:3');
    // Rotation goes on from the redirect target's place in the list.
    e.failed('c:3');
    expect(e.current).toBe('a:1');
    expect(e.stats()).toEqual({ current: 'a:1', redirects: 1, rotations: 1 });
  });

  it('follows a redirect to an address not in the list, and rotates on from where it was', () => {
    const e = new ControllerEndpoints(['a:1', 'b:2']);
    expect(e.redirect('a:1', 'elsewhere:9')).toBe(true);
    expect(e.current).toBe('elsewhere:9');
    e.failed('elsewhere:9');
    expect(e.current).toBe('b:2');
  });

  it('a redirect naming no active controller, or the one that answered, moves on instead of looping', () => {
    const e = new ControllerEndpoints(['a:1', 'b:2']);
    expect(e.redirect('a:1', null)).toBe(false);
    expect(e.current).toBe('b:2');
    expect(e.redirect('b:2', 'b:2')).toBe(false);
    expect(e.current).toBe('a:1');
  });

  it('a late failure or redirect of an address already left changes nothing', () => {
    const e = new ControllerEndpoints(['a:1', 'b:2', 'c:3']);
    e.failed('a:1');
    expect(e.current).toBe('b:2');
    e.failed('a:1');
    expect(e.current).toBe('b:2');
    expect(e.redirect('a:1', 'c:3')).toBe(true); // send again: to where the client is now
    expect(e.current).toBe('b:2');
  });

  it('never leaves a single address, and refuses bad ones', () => {
    const e = new ControllerEndpoints('only:1');
    e.failed('only:1');
    expect(e.current).toBe('only:1');
    expect(() => new ControllerEndpoints([])).toThrow(/at least one/);
    expect(() => new ControllerEndpoints(['no port'])).toThrow(/host:port/);
    expect(() => new ControllerEndpoints(' , ')).toThrow(/at least one/);
  });

  it('takes a comma-separated string as several addresses (the STRATUS_CONTROLLER_ENDPOINTS form)', () => {
    const e = new ControllerEndpoints('a:1, b:2,c:3');
    expect(e.current).toBe('a:1');
    e.failed('a:1');
    expect(e.current).toBe('b:2');
    e.failed('b:2');
    expect(e.current).toBe('c:3');
  });

  it('after a timed-out call, avoids that address: rotation skips it and a redirect to it is not followed until the time is up', () => {
    const e = new ControllerEndpoints(['a:1', 'b:2', 'c:3']);
    e.timedOut('a:1', 1000, 6000);
    expect(e.current).toBe('b:2');
    // The standby b names the frozen a as active: stay with b (the caller backs off and asks b again).
    expect(e.redirect('b:2', 'a:1', 2000)).toBe(false);
    expect(e.current).toBe('b:2');
    // b unreachable: rotation goes to c, not back to a.
    e.failed('b:2', 2500);
    expect(e.current).toBe('c:3');
    e.failed('c:3', 2600);
    expect(e.current).toBe('b:2');
    // Time up: a redirect to a is followed again.
    expect(e.redirect('b:2', 'a:1', 6000)).toBe(true);
    expect(e.current).toBe('a:1');
  });

  it('an answer clears the avoidance, and with every other address avoided rotation still moves on', () => {
    const e = new ControllerEndpoints(['a:1', 'b:2']);
    e.timedOut('a:1', 0, 5000);
    expect(e.current).toBe('b:2');
    e.timedOut('b:2', 100, 5100);
    expect(e.current).toBe('a:1');
    e.answered('a:1');
    e.failed('a:1', 200);
    expect(e.current).toBe('b:2');
    expect(e.redirect('b:2', 'a:1', 300)).toBe(true);
    expect(e.current).toBe('a:1');
  });

  it('keeps channels to the configured controllers and to the newest redirect targets only', () => {
    const e = new ControllerEndpoints(['a:1', 'b:2']);
    const held = ['a:1', 'b:2'];
    // A controller pod replaced again and again: each redirect names a new address.
    for (let i = 0; i < 10; i++) {
      const target = `pod-${i}:9190`;
      expect(e.redirect(e.current, target)).toBe(true);
      held.push(target);
      for (const old of e.channelsToClose(held)) held.splice(held.indexOf(old), 1);
    }
    expect(held).toEqual(['a:1', 'b:2', ...Array.from({ length: MAX_UNLISTED_CHANNELS }, (_, i) => `pod-${10 - MAX_UNLISTED_CHANNELS + i}:9190`)]);
    // The current address is never closed, however old.
    const f = new ControllerEndpoints(['a:1']);
    f.redirect('a:1', 'x:1');
    expect(f.channelsToClose(['x:1', 'y:1', 'z:1', 'v:1', 'w:1', 'u:1'])).toEqual(['y:1']);
  });
});
