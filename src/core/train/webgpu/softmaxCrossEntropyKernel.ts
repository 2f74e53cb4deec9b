import { Dispatch, Kernels, strideGroups, uniformWords } from './kernels';

/**
 * Softmax cross-entropy of every position at once, and its gradient:
 *   loss[r]      = log sum_v exp(logits[r, v]) - logits[r, y[r]]
 *   dlogits[r,v] = (softmax(logits[r])[v] - [v = y[r]]) / N
 * then lossMean = sum_r loss[r] / N (the batch's nats/char).
 * Shapes: logits [N, V] (overwritten by dlogits), y [N] (i32), loss [N],
 * lossMean [1].
 * One workgroup per row (grid-stride over rows), reductions over V in
 * workgroup memory.
 */
export interface SoftmaxCrossEntropyArgs {
  N: number;
  V: number;
  logits: GPUBuffer;
  y: GPUBuffer;
  loss: GPUBuffer;
}

export function softmaxCrossEntropy(kernels: Kernels, a: SoftmaxCrossEntropyArgs): Promise<Dispatch> {
  const uniform = kernels.uniform('softmax cross-entropy', uniformWords([a.N, a.V], [1 / a.N]));
  return kernels.dispatch('softmax cross-entropy', SOFTMAX_CE_WGSL, [uniform, a.y, a.logits, a.loss], [strideGroups(a.N, 1)]);
}

export function lossMean(kernels: Kernels, N: number, loss: GPUBuffer, lossMean: GPUBuffer): Promise<Dispatch> {
  const uniform = kernels.uniform('loss mean', uniformWords([N], [1 / N]));
  return kernels.dispatch('loss mean', LOSS_MEAN_WGSL, [uniform, loss, lossMean], [1]);
}

const SOFTMAX_CE_WGSL = /* wgsl */ `
struct P { N: u32, V: u32, invN: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> y: array<i32>;
@group(0) @binding(2) var<storage, read_write> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;

var<workgroup> red: array<f32, 64>;

fn reduce(li: u32, value: f32, isMax: bool) -> f32 {
  red[li] = value;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] = select(red[li] + red[li + s], max(red[li], red[li + s]), isMax); }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var r = wid.x; r < p.N; r += groups.x) {
    let base = r * p.V;
    let yr = u32(y[r]);
    let picked = logits[base + yr];
    var m = -3.4e38;
    for (var v = li; v < p.V; v += 64u) { m = max(m, logits[base + v]); }
    m = reduce(li, m, true);
    var s = 0.0;
    for (var v = li; v < p.V; v += 64u) { s += exp(logits[base + v] - m); }
    s = reduce(li, s, false);
    if (li == 0u) { loss[r] = log(s) + m - picked; }
    let inv = 1.0 / s;
    for (var v = li; v < p.V; v += 64u) {
      let prob = exp(logits[base + v] - m) * inv;
      logits[base + v] = (prob - select(0.0, 1.0, v == yr)) * p.invN;
    }
  }
}
`;

const LOSS_MEAN_WGSL = /* wgsl */ `
struct P { N: u32, invN: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> loss: array<f32>;
@group(0) @binding(2) var<storage, read_write> lossMean: array<f32>;

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  for (var r = li; r < p.N; r += 256u) { s += loss[r]; }
  red[li] = s;
  workgroupBarrier();
  for (var k = 128u; k > 0u; k >>= 1u) {
    if (li < k) { red[li] += red[li + k]; }
    workgroupBarrier();
  }
  if (li == 0u) { lossMean[0] = red[0] * p.invN; }
}
`;
