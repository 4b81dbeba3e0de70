import type { Rng } from '../../kernel/random.js';

/** A customer a case messages or is messaged by: a valid Taiwanese mobile number nobody else in the run uses. */
export interface Customer {
  /** `+8869…`, what the connector must send to. */
  e164: string;
  /** Digits only: WhatsApp's `wa_id` / `recipient_id`. */
  waId: string;
  /** The same number as a Taiwanese customer writes it at home: `0912-345-678`. */
  national: string;
  /** A profile name. */
  name: string;
}

const FIRST = [
  'Ana',
  'Bilal',
  'Chen',
  'Dana',
  'Emeka',
  'Farah',
  'Goran',
  'Hana',
  'Ivo',
  'Jia',
  'Kofi',
  'Lena',
];
const LAST = ['Okafor', 'Lin', 'Haddad', 'Novak', 'Silva', 'Tanaka', 'Moreau', 'Kaur', 'Petrov', 'Reyes'];

/**
 * Hands out customers for a run. Numbers are `+886 9PQR SSSSS`: Taiwanese mobiles (valid for
 * libphonenumber, so a connector can normalise them and the WhatsApp mock finds them plausible),
 * with a three-digit block `PQR` drawn per run and a sequence `SSSSS` per customer, so no two
 * cases — and, very likely, no two runs against a connector that keeps state — share a customer.
 */
export class Customers {
  private readonly block: number;
  private seq = 0;

  constructor(private readonly rng: Rng) {
    // 9[0-8]\d{7} is a Taiwanese mobile; the block's first digit is 1-8.
    this.block = 100 + Math.floor(rng.next() * 800);
  }

  /** The next unused customer. */
  next(): Customer {
    this.seq++;
    if (this.seq > 99_999) throw new RangeError('more than 99,999 customers in one conformance run');
    const national9 = `9${this.block}${String(this.seq).padStart(5, '0')}`;
    const e164 = `+886${national9}`;
    const first = FIRST[Math.floor(this.rng.next() * FIRST.length)] as string;
    const last = LAST[Math.floor(this.rng.next() * LAST.length)] as string;
    return {
      e164,
      waId: e164.slice(1),
      national: `0${national9.slice(0, 3)}-${national9.slice(3, 6)}-${national9.slice(6)}`,
      name: `${first} ${last}`,
    };
  }
}

/** Digits of a phone as typed. */
export function digitsOf(phone: string): string {
  return phone.replace(/\D/g, '');
}
