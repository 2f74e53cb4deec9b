;; out[i] = exp(x[i]), sigmoid(x[i]) or tanh(x[i]) for i < n (kind 0, 1, 2),
;; the activations lstmStepForward and softmaxCrossEntropy import. x, out
;; [n] f32, 16-byte aligned (out may be x), n a multiple of 4.
;;
;; WebAssembly has no exp and V8 (Node 20) inlines no wasm call, so this works
;; on a whole span per call, with exp written out once in the loop: Cephes'
;; expf, x = k ln2 + r with |r| <= ln2 / 2, e^r by a degree-6 polynomial
;; (about 1 ulp), 2^k built in the exponent bits. Then
;;   sigmoid(x) = 1 / (1 + e^-x),  tanh(x) = 1 - 2 / (1 + e^2x)
;; which saturate without overflow; tanh's error near 0 is absolute (~1e-7).
;; exp(0) is exactly 1, so tanh(0) = 0 and padded hidden units stay exactly 0.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "activate") (param $out i32) (param $x i32) (param $n i32) (param $kind i32)
    (local $p i32) (local $end i32) (local $scale v128) (local $add v128) (local $mul v128)
    (local $v v128) (local $t v128) (local $k v128) (local $r v128) (local $e v128)
    ;; e = exp(scale x); result = kind 0 ? e : add + mul / (1 + e)
    (local.set $scale (v128.const f32x4 1 1 1 1))
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then
        (local.set $scale (v128.const f32x4 -1 -1 -1 -1))
        (local.set $add (v128.const f32x4 0 0 0 0))
        (local.set $mul (v128.const f32x4 1 1 1 1))))
    (if (i32.eq (local.get $kind) (i32.const 2))
      (then
        (local.set $scale (v128.const f32x4 2 2 2 2))
        (local.set $add (v128.const f32x4 1 1 1 1))
        (local.set $mul (v128.const f32x4 -2 -2 -2 -2))))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $p))) (local.get $scale)))
        ;; Beyond this range e^v over- or underflows float32; clamped, 2^k stays a normal number.
        ;; pmin/pmax are single instructions (min/max must order NaN and -0, which costs several); a NaN passes through.
        (local.set $v (f32x4.pmin (f32x4.pmax (local.get $v) (v128.const f32x4 -87.3 -87.3 -87.3 -87.3)) (v128.const f32x4 88.3 88.3 88.3 88.3)))
        ;; k = round(v log2 e): adding 1.5 * 2^23 rounds to an integer, held in t's low mantissa bits
        (local.set $t (f32x4.add (f32x4.mul (local.get $v) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
                                 (v128.const f32x4 12582912 12582912 12582912 12582912)))
        (local.set $k (f32x4.sub (local.get $t) (v128.const f32x4 12582912 12582912 12582912 12582912)))
        ;; r = v - k ln2, with ln2 split in two so that k * 0.693359375 is exact
        (local.set $r (f32x4.sub (local.get $v) (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
        (local.set $r (f32x4.add (local.get $r) (f32x4.mul (local.get $k) (v128.const f32x4 2.12194440e-4 2.12194440e-4 2.12194440e-4 2.12194440e-4))))
        (local.set $e (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
        (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
        (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
        (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
        (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
        (local.set $e (f32x4.add (f32x4.mul (local.get $e) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
        ;; e^r = 1 + r + r^2 p(r), times 2^k
        (local.set $e (f32x4.add (f32x4.add (f32x4.mul (local.get $e) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)) (v128.const f32x4 1 1 1 1)))
        ;; 2^k: t's bits are 0x4b400000 + k, so (k + 127) << 23 is one add and a shift
        (local.set $e (f32x4.mul (local.get $e)
          (i32x4.shl (i32x4.add (local.get $t) (v128.const i32x4 -1262485377 -1262485377 -1262485377 -1262485377)) (i32.const 23))))
        (if (local.get $kind)
          (then (local.set $e (f32x4.add (local.get $add)
            (f32x4.div (local.get $mul) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e)))))))
        (v128.store (i32.add (local.get $out) (local.get $p)) (local.get $e))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l))))
)
