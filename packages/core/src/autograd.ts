/**
 * Reverse-mode automatic differentiation over the graph that ops record.
 *
 * Gradient rules live with their ops (in ops/), written with other ops, so a
 * backend never implements a gradient. `backward` walks the graph once in
 * reverse topological order and accumulates into the leaves' `.grad`.
 */
import { BYTES_PER_ELEMENT } from './dtype.js';
import { engine, keep, noGrad, type Storage, tidy } from './engine.js';
import { NerveError, fmtShape } from './errors.js';
import { shapesEqual } from './shape.js';
import type { Tensor } from './tensor.js';
import { add } from './ops/binary.js';
import { contiguous } from './ops/views.js';
import { onesLike } from './ops/creation.js';

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: deep graphs (long training unrolls) must not overflow the stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i];
      if (next.requiresGrad && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

/**
 * Computes gradients of `root` with respect to every leaf that requires them
 * and adds them to the leaves' `.grad` (PyTorch's accumulation semantics: call
 * `zeroGrad`/dispose grads between steps). `root` must hold one element unless
 * `gradient` (same shape as root) is given.
 */
export function backward(root: Tensor, gradient?: Tensor): void {
  root.assertAlive('backward');
  if (!root.requiresGrad) {
    throw NerveError.raw(
      'backward',
      'the tensor does not require grad: no input of the computation had requiresGrad = true',
    );
  }
  if (gradient === undefined && root.size !== 1) {
    throw new NerveError(
      'backward',
      'a one-element output, or an explicit gradient of the same shape',
      `output of shape ${fmtShape(root.shape)}`,
    );
  }
  if (gradient !== undefined) {
    gradient.assertAlive('backward');
    if (!shapesEqual(gradient.shape, root.shape)) {
      throw new NerveError(
        'backward',
        `a gradient of shape ${fmtShape(root.shape)}`,
        fmtShape(gradient.shape),
      );
    }
  }
  const order = topoOrder(root);
  noGrad(() =>
    tidy(() => {
      const scope = engine.scopes[engine.scopes.length - 1];
      const adopted = new Set<Storage>();
      const grads = new Map<Tensor, Tensor>();
      grads.set(root, gradient ?? onesLike(root));
      for (const t of order) {
        const g = grads.get(t);
        if (!g) continue;
        grads.delete(t);
        const node = t.gradFn;
        if (node === null) {
          accumulateLeaf(t, g, scope, adopted);
          continue;
        }
        let inGrads: (Tensor | null)[];
        try {
          inGrads = node.backward(g);
        } catch (e) {
          if (e instanceof Error)
            e.message = `${e.message} (in the backward pass of '${node.name}')`;
          throw e;
        }
        node.inputs.forEach((input, i) => {
          const gi = inGrads[i];
          if (!gi || !input.requiresGrad) return;
          if (!shapesEqual(gi.shape, input.shape)) {
            throw NerveError.raw(
              'backward',
              `internal error: gradient of '${node.name}' input ${i} has shape ${fmtShape(gi.shape)}, expected ${fmtShape(input.shape)}`,
            );
          }
          const prev = grads.get(input);
          grads.set(input, prev ? add(prev, gi) : gi);
        });
      }
    }),
  );
}

function accumulateLeaf(
  leaf: Tensor,
  g: Tensor,
  scope: Set<Tensor> | undefined,
  adopted: Set<Storage>,
): void {
  if (leaf.grad) {
    const sum = add(leaf.grad, g);
    leaf.grad.dispose();
    leaf.grad = keep(sum);
    return;
  }
  // A leaf's gradient needs a buffer of its own: the same tensor may go to
  // two leaves (add's backward hands one tensor to both inputs), be a view of
  // a buffer something outside this pass holds, or be the caller's seed
  // gradient. A contiguous gradient whose buffer only this pass's temporaries
  // refer to (they are disposed when it ends) and that no other leaf took is
  // adopted as is: one copy fewer per parameter per step.
  const ownable =
    scope !== undefined &&
    !adopted.has(g.storage) &&
    g.dtype === leaf.dtype &&
    g.isContiguous &&
    g.offset === 0 &&
    g.storage.bytes === g.size * BYTES_PER_ELEMENT[g.dtype] &&
    referencesIn(scope, g.storage) === g.storage.refs;
  if (ownable) adopted.add(g.storage);
  leaf.grad = keep(ownable ? g : contiguous(g, true));
}

/** How many tensors of `scope` share `storage`. */
function referencesIn(scope: Set<Tensor>, storage: Storage): number {
  let n = 0;
  for (const t of scope) if (t.storage === storage) n++;
  return n;
}
