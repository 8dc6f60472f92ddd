/**
 * Tensors: create them, do arithmetic, multiply matrices, reduce and
 * reshape. `tidy` frees every tensor made inside it (tensors own memory on
 * their backend) except what it returns.
 */
import '@nerve/backend-cpu';
import { tensor, tidy } from '@nerve/core';

tidy(() => {
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
  console.log('a * 2 + 1 =', a.mul(2).add(1).arraySync());
  console.log('a @ b =', a.matmul(b).arraySync());
  console.log('row means', a.mean(1).arraySync(), 'column sums', a.sum(0).arraySync());
  console.log('transposed', a.transpose().arraySync());
  console.log('reshaped', a.reshape([3, 2]).arraySync());
  const probs = tensor([1, 2, 3]).softmax().dataSync();
  console.log(
    'softmax of [1, 2, 3]',
    Array.from(probs, (p) => p.toFixed(3)),
  );
});

/* Output:
shape [ 2, 3 ] dtype float32
a * 2 + 1 = [ [ 3, 5, 7 ], [ 9, 11, 13 ] ]
a @ b = [ [ 4, 5 ], [ 10, 11 ] ]
row means [ 2, 5 ] column sums [ 5, 7, 9 ]
transposed [ [ 1, 4 ], [ 2, 5 ], [ 3, 6 ] ]
reshaped [ [ 1, 2 ], [ 3, 4 ], [ 5, 6 ] ]
softmax of [1, 2, 3] [ '0.090', '0.245', '0.665' ]
*/
