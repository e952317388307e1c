// Where a client with several controllers sends its next call (grpc/endpoints.ts): the
// first configured address, a standby's redirect followed (also outside the list), an
// unreachable address left for the next in the list, and no loop when a redirect names
// the address that just answered it.

import { describe, expect, it } from 'vitest';
import { ControllerEndpoints } from '../../src/grpc/endpoints.ts';

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
  });
});
