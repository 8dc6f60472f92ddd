/**
 * Tensors: create them, do arithmetic, multiply matrices, reduce and
 * reshape. `tidy` frees every tensor made inside it (tensors own memory on
 * their backend) except what it returns.
 */
import '@nerve/backend-cpu';
import { tensor, tidy } from '@nerve/core';

const a = tensor([
  [1, 2, 3],
  [4, 5, 6],
]);
const b = tensor([
  [1, 0],
  [0, 1],
  [1, 1],
]);
console.log('shape', a.shape, 'dtype', a.dtype);
// `tidy` is synchronous: it makes the results and frees its intermediates;
// they are then read with `await` (reads are asynchronous on every backend,
// WebGPU included) and disposed.
const r = tidy(() => ({
  scaled: a.mul(2).add(1),
  product: a.matmul(b),
  rowMeans: a.mean(1),
  columnSums: a.sum(0),
  transposed: a.transpose(),
  reshaped: a.reshape([3, 2]),
  probs: tensor([1, 2, 3]).softmax(),
}));
console.log('a * 2 + 1 =', await r.scaled.array());
console.log('a @ b =', await r.product.array());
console.log('row means', await r.rowMeans.array(), 'column sums', await r.columnSums.array());
console.log('transposed', await r.transposed.array());
console.log('reshaped', await r.reshaped.array());
const probs = await r.probs.data();
console.log(
  'softmax of [1, 2, 3]',
  Array.from(probs, (p) => p.toFixed(3)),
);
for (const t of [a, b, ...Object.values(r)]) t.dispose();

/* Output:
shape [ 2, 3 ] dtype float32
a * 2 + 1 = [ [ 3, 5, 7 ], [ 9, 11, 13 ] ]
a @ b = [ [ 4, 5 ], [ 10, 11 ] ]
row means [ 2, 5 ] column sums [ 5, 7, 9 ]
transposed [ [ 1, 4 ], [ 2, 5 ], [ 3, 6 ] ]
reshaped [ [ 1, 2 ], [ 3, 4 ], [ 5, 6 ] ]
softmax of [1, 2, 3] [ '0.090', '0.245', '0.665' ]
*/
