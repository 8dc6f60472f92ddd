/**
 * Reverse-mode automatic differentiation over the graph that ops record.
 *
 * Gradient rules live with their ops (in ops/), written with other ops, so a
 * backend never implements a gradient. `backward` walks the graph once in
 * reverse topological order and accumulates into the leaves' `.grad`.
 */
import { BYTES_PER_ELEMENT } from './dtype.js';
import { engine, keep, noGrad, type Storage, type TrackedTensor, tidy } from './engine.js';
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

/** Options of `backward`. */
export interface BackwardOptions {
  /**
   * Keep the graph usable for another backward pass (PyTorch's retain_graph).
   * Without it, a second pass through any node of this graph throws instead
   * of adding the same gradients again.
   */
  retainGraph?: boolean;
}

/**
 * Nodes a backward pass has gone through without retainGraph. Marked, not
 * torn down: the tensors a node refers to belong to tidy scopes and owners,
 * which free them; the mark only refuses a second pass.
 */
const spent = new WeakSet<object>();

/**
 * Computes gradients of `root` with respect to every leaf that requires them
 * and adds them to the leaves' `.grad` (PyTorch's accumulation semantics: call
 * `zeroGrad`/dispose grads between steps). `root` must hold one element unless
 * `gradient` (same shape as root) is given. A graph takes one backward pass
 * unless `retainGraph` is set, as in PyTorch: a second pass throws.
 */
export function backward(
  root: Tensor,
  gradientOrOptions?: Tensor | BackwardOptions,
  options: BackwardOptions = {},
): void {
  const isOptions = gradientOrOptions !== undefined && !isTensor(gradientOrOptions);
  const gradient = isOptions ? undefined : (gradientOrOptions as Tensor | undefined);
  const opts = isOptions ? (gradientOrOptions as BackwardOptions) : options;
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
  // Checked before any gradient is touched, so a refused pass changes nothing.
  for (const t of order) {
    if (t.gradFn !== null && spent.has(t.gradFn)) {
      throw NerveError.raw(
        'backward',
        `trying to backward through the graph a second time (through '${t.gradFn.name}'): the first backward() spent it; pass backward({ retainGraph: true }) to the first call to backward twice`,
      );
    }
  }
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
  if (!opts.retainGraph) for (const t of order) if (t.gradFn !== null) spent.add(t.gradFn);
}

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && (v as { isTensor?: unknown }).isTensor === true;
}

function accumulateLeaf(
  leaf: Tensor,
  g: Tensor,
  scope: Set<TrackedTensor> | undefined,
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
function referencesIn(scope: Set<TrackedTensor>, storage: Storage): number {
  let n = 0;
  for (const t of scope) if (t.storage === storage) n++;
  return n;
}
