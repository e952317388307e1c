// The broker's declaration of which API versions it accepts and which it advertises in
// ApiVersions. The two may differ: Produce accepts 3–11 but advertises 0–11, because
// librdkafka only enables compression when Produce v0 is in the advertised range.
// ApiVersions is built from this registry, so it cannot claim what no handler does.

import { inRange } from '../schema/spec.ts';
import type { VersionRange } from '../schema/spec.ts';
import { apiSpec } from './codecs.ts';

export interface ApiRegistration<H> {
  readonly apiKey: number;
  /** Versions the handler accepts; must lie within the codec's schema. */
  readonly accept: VersionRange;
  /** Versions advertised in ApiVersions; defaults to `accept`. Must end where `accept` ends. */
  readonly advertise?: VersionRange;
  readonly handler: H;
}

export interface AdvertisedApi {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export class ApiRegistry<H> {
  private readonly byKey = new Map<number, ApiRegistration<H>>();

  register(reg: ApiRegistration<H>): void {
    const spec = apiSpec(reg.apiKey);
    if (spec === undefined) throw new Error(`API key ${reg.apiKey} has no generated schema`);
    if (this.byKey.has(reg.apiKey)) throw new Error(`API ${spec.name} (${reg.apiKey}) is registered twice`);
    const [min, max] = reg.accept;
    if (min > max || !inRange(spec.request.valid, min) || !inRange(spec.request.valid, max)) {
      throw new Error(`API ${spec.name}: accepted versions ${min}-${max} are outside the schema's ${spec.request.valid.join('-')}`);
    }
    const adv = reg.advertise ?? reg.accept;
    if (adv[1] !== max || adv[0] > min || adv[0] < spec.request.valid[0]) {
      throw new Error(`API ${spec.name}: advertised versions ${adv.join('-')} must end at ${max} and start at or below ${min}`);
    }
    this.byKey.set(reg.apiKey, reg);
  }

  /** The handler for a request, or undefined when the key or version is not accepted. */
  lookup(apiKey: number, version: number): H | undefined {
    const reg = this.byKey.get(apiKey);
    return reg !== undefined && inRange(reg.accept, version) ? reg.handler : undefined;
  }

  /** Whether a key is registered at all (its version may still be refused). */
  has(apiKey: number): boolean {
    return this.byKey.has(apiKey);
  }

  /** The ApiVersions entries, sorted by key. */
  advertised(): AdvertisedApi[] {
    return [...this.byKey.values()]
      .sort((a, b) => a.apiKey - b.apiKey)
      .map((r) => {
        const [minVersion, maxVersion] = r.advertise ?? r.accept;
        return { apiKey: r.apiKey, minVersion, maxVersion };
      });
  }
}
