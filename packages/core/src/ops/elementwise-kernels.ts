/**
 * The backend's elementwise primitives as tensor functions, without autograd
 * or dtype promotion: the shared bottom of unary.ts and binary.ts. Gradients
 * run with recording off (autograd's backward is under noGrad), so a gradient
 * rule may call these directly; binary.ts does, which keeps it below
 * unary.ts (whose gradients use binary ops) instead of in a cycle with it.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import type { DType } from '../dtype.js';
import { broadcastShapes, broadcastStrides } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { backendOf, wrap } from './util.js';

/** Runs the backend's unary kernel: `op` of x in x's dtype (bool out for logicalNot). */
export function unaryKernel(op: UnaryOp, x: Tensor, param = 0): Tensor {
  const backend = backendOf(op, x);
  const outDtype: DType = op === 'logicalNot' ? 'bool' : x.dtype;
  const id = backend.unary(op, x.view(), { shape: x.shape, inDtype: x.dtype, outDtype, param });
  return wrap(backend, id, x.shape, outDtype);
}

/** Runs the backend's binary kernel on already-promoted operands, broadcasting. */
export function binaryKernel(op: BinaryOp, a: Tensor, b: Tensor, outDtype: DType): Tensor {
  const backend = backendOf(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const av = { ...a.view(), strides: broadcastStrides(a.shape, a.strides, shape) };
  const bv = { ...b.view(), strides: broadcastStrides(b.shape, b.strides, shape) };
  const id = backend.binary(op, av, bv, { shape, inDtype: a.dtype, outDtype });
  return wrap(backend, id, shape, outDtype);
}
