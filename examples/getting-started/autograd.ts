/**
 * Autograd: mark a tensor with `requiresGrad`, compute a scalar from it and
 * call `backward()`; its `grad` then holds the derivative.
 */
import '@nerve/backend-cpu';
import { randn, tensor, tidy } from '@nerve/core';

// y = Σ x², so dy/dx = 2x.
const x = tensor([1, -2, 3], { requiresGrad: true });
const y = tidy(() => {
  const y = x.mul(x).sum();
  y.backward();
  return y;
});
// Reads are asynchronous (`await`), so the example runs on every backend.
console.log('y =', await y.item(), 'dy/dx =', await x.grad?.array());
y.dispose();

// Through a matrix product and a ReLU: only the columns of w whose outputs
// are positive receive a gradient.
const w = randn([2, 3], { seed: 0, requiresGrad: true });
const input = tensor([
  [1, 2],
  [3, 4],
]);
tidy(() => input.matmul(w).relu().sum().backward());
console.log('dL/dw =', await w.grad?.array());
for (const t of [x, w, input]) t.dispose();

/* Output:
y = 14 dy/dx = [ 2, -4, 6 ]
dL/dw = [ [ 4, 0, 0 ], [ 6, 0, 0 ] ]
*/
