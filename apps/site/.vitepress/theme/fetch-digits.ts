/**
 * The bundled UCI digits, fetched from the site's asset and decoded by
 * @nerve/data's loadDigitsFromGzip. A server may send the .gz file with
 * `Content-Encoding: gzip` (Vite's dev server does), and then fetch hands
 * over the inflated CSV: those bytes are gzipped again so that the one
 * checked decoder reads them.
 */
import { loadDigitsFromGzip } from '@nerve/data';
import digitsUrl from '@nerve/data/assets/digits.csv.gz?url';

export async function fetchDigits(): ReturnType<typeof loadDigitsFromGzip> {
  const res = await fetch(digitsUrl);
  if (!res.ok) throw new Error(`digits: expected the digits asset, received HTTP ${res.status}`);
  let bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    const gz = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
    bytes = new Uint8Array(await new Response(gz).arrayBuffer());
  }
  return loadDigitsFromGzip(bytes);
}
