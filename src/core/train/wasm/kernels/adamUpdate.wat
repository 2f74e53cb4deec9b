;; Adam over flat arrays, the update of stepMath.ts in f32:
;;   g' = g scale;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
;;   w -= lr (m / c1) / (sqrt(v / c2) + eps),   c1 = 1 - b1^t, c2 = 1 - b2^t (from the caller, float64-computed)
;; Shapes: w, g, m, v [n] f32, 16-byte aligned, n a multiple of 4.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "adamUpdate")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $lr f32) (param $c1 f32) (param $c2 f32) (param $scale f32)
    (local $i i32) (local $end i32) (local $gv v128) (local $mv v128) (local $vv v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gv (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $i))) (f32x4.splat (local.get $scale))))
        (local.set $mv (f32x4.add (f32x4.mul (v128.const f32x4 0.9 0.9 0.9 0.9) (v128.load (i32.add (local.get $m) (local.get $i))))
                                  (f32x4.mul (v128.const f32x4 0.1 0.1 0.1 0.1) (local.get $gv))))
        (local.set $vv (f32x4.add (f32x4.mul (v128.const f32x4 0.999 0.999 0.999 0.999) (v128.load (i32.add (local.get $v) (local.get $i))))
                                  (f32x4.mul (v128.const f32x4 0.001 0.001 0.001 0.001) (f32x4.mul (local.get $gv) (local.get $gv)))))
        (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        (v128.store (i32.add (local.get $w) (local.get $i))
          (f32x4.sub (v128.load (i32.add (local.get $w) (local.get $i)))
            (f32x4.div (f32x4.mul (f32x4.splat (local.get $lr)) (f32x4.div (local.get $mv) (f32x4.splat (local.get $c1))))
                       (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (f32x4.splat (local.get $c2)))) (v128.const f32x4 1e-8 1e-8 1e-8 1e-8)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l))))
)
