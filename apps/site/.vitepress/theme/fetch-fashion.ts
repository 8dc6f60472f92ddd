/**
 * Fetches the site's assets for Fashion-MNIST pages: the subset's four
 * files and the pretrained transfer CNN. Only workers that need them import
 * this module, so no other page requests them (the test checks the home page).
 */
import testImagesUrl from '../../assets/fashion-mnist-subset/t10k-images-idx3-ubyte.gz?url';
import testLabelsUrl from '../../assets/fashion-mnist-subset/t10k-labels-idx1-ubyte.gz?url';
import trainImagesUrl from '../../assets/fashion-mnist-subset/train-images-idx3-ubyte.gz?url';
import trainLabelsUrl from '../../assets/fashion-mnist-subset/train-labels-idx1-ubyte.gz?url';
import cnnUrl from '../../assets/transfer-cnn.safetensors?url';
import { decodeFashionSubset } from './fashion-subset.js';

async function bytesOf(url: string, what: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${what}: expected the site's asset, received HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The Fashion-MNIST subset (6,000 training and 1,000 test images), decoded; the caller owns it. */
export async function fetchFashionSubset(): ReturnType<typeof decodeFashionSubset> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    bytesOf(trainImagesUrl, 'Fashion-MNIST subset'),
    bytesOf(trainLabelsUrl, 'Fashion-MNIST subset'),
    bytesOf(testImagesUrl, 'Fashion-MNIST subset'),
    bytesOf(testLabelsUrl, 'Fashion-MNIST subset'),
  ]);
  return decodeFashionSubset({ trainImages, trainLabels, testImages, testLabels });
}

/** The pretrained transfer CNN's safetensors bytes. */
export function fetchTransferCnn(): Promise<Uint8Array> {
  return bytesOf(cnnUrl, 'transfer CNN');
}
