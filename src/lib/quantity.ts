/**
 * Byte sizes written as Kubernetes quantities, as Argo CD's size settings are
 * (`reposerver.max.combined.directory.manifests.size: '10M'`): decimal suffixes k, M, G, T, P, E
 * (powers of 1000) and binary Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024); a bare number is bytes.
 */
const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Parses a quantity like `10M` or `512Ki` into a whole number of bytes. */
export function parseByteQuantity(input: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?\s*$/.exec(input);
  if (!m) {
    throw new TypeError(
      `invalid size "${input}": expected a number with an optional suffix such as 10M, 512Ki or 1G`,
    );
  }
  const factor = SUFFIX[m[2] ?? ''] ?? 1;
  return Math.ceil(Number(m[1]) * factor);
}
