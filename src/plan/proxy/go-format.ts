// The two Go fmt verbs kube-proxy's iptables output depends on, reproduced exactly.

/**
 * Go's fmt.Sprintf("%0.10f", x) for a finite x >= 0 (any number of digits): the exact binary
 * value of the double, rounded half-to-even. (JS toFixed rounds exact ties up, which differs
 * from Go at least for 1/2048 = 0.00048828125.)
 */
export function goFixed(x: number, digits: number): string {
  if (!Number.isFinite(x) || x < 0) throw new Error(`goFixed: unsupported value ${x}`);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp = -1074;
  if (expBits !== 0) {
    mantissa |= 1n << 52n;
    exp = expBits - 1075;
  }
  // x = mantissa * 2^exp exactly; scale by 10^digits and round half to even.
  let num = mantissa * 10n ** BigInt(digits);
  let den = 1n;
  if (exp >= 0) num <<= BigInt(exp);
  else den <<= BigInt(-exp);
  let q = num / den;
  const twiceRem = 2n * (num % den);
  if (twiceRem > den || (twiceRem === den && q % 2n === 1n)) q += 1n;
  const s = q.toString().padStart(digits + 1, '0');
  return digits === 0 ? s : `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

const probabilities = new Map<number, string>();

/** proxier.go computeProbability(n): fmt.Sprintf("%0.10f", 1.0/float64(n)). Remembered per n
 * (a few distinct values per node; the exact BigInt formatting is the costly part). */
export function computeProbability(n: number): string {
  let p = probabilities.get(n);
  if (p === undefined) probabilities.set(n, (p = goFixed(1 / n, 10)));
  return p;
}

/**
 * NewProxier's masquerade mark: fmt.Sprintf("%#08x", 1<<masqueradeBit). Go pads the digits
 * (not the "0x") to 8, so bit 14 gives "0x00004000"; iptables-save shows it as 0x4000.
 */
export function masqueradeMarkFromBit(bit: number): string {
  if (!Number.isInteger(bit) || bit < 0 || bit > 31) throw new Error(`masqueradeBit ${bit} is not in 0..31`);
  return `0x${(2 ** bit).toString(16).padStart(8, '0')}`;
}
