;; char-rnn's RMSProp over flat arrays, the update of stepMath.ts in f32:
;;   g' = g scale;  ms = d ms + (1 - d) g'^2;  w -= lr g' / (sqrt(ms) + eps),  d = 0.95
;; Shapes: w, g, ms [n] f32, 16-byte aligned, n a multiple of 4.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "rmspropUpdate")
    (param $w i32) (param $g i32) (param $ms i32) (param $n i32) (param $lr f32) (param $scale f32)
    (local $i i32) (local $end i32) (local $gv v128) (local $mv v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gv (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $i))) (f32x4.splat (local.get $scale))))
        (local.set $mv (f32x4.add (f32x4.mul (v128.const f32x4 0.95 0.95 0.95 0.95) (v128.load (i32.add (local.get $ms) (local.get $i))))
                                  (f32x4.mul (v128.const f32x4 0.05 0.05 0.05 0.05) (f32x4.mul (local.get $gv) (local.get $gv)))))
        (v128.store (i32.add (local.get $ms) (local.get $i)) (local.get $mv))
        (v128.store (i32.add (local.get $w) (local.get $i))
          (f32x4.sub (v128.load (i32.add (local.get $w) (local.get $i)))
            (f32x4.div (f32x4.mul (f32x4.splat (local.get $lr)) (local.get $gv))
                       (f32x4.add (f32x4.sqrt (local.get $mv)) (v128.const f32x4 1e-8 1e-8 1e-8 1e-8)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l))))
)
