;; One LSTM time step, backward, for `rows` batch rows (torch-rnn's formulas):
;;   dc = dc + dh o (1 - tanhC^2)
;;   dz_i = dc g i (1 - i);  dz_f = dc cPrev f (1 - f);  dz_g = dc i (1 - g^2);  dz_o = dh tanhC o (1 - o)
;;   dc = dc f                                    (for the step before)
;;   dhPrev += dz WhT                              (skipped when dhPrev = 0: the first step; truncated BPTT)
;; z [rows, 4Hp] holds the activated gates i, f, g, o of the step and is
;; overwritten by dz; dh and tanhC [rows, Hp] and dhPrev rows are stride bytes
;; apart, cPrev rows prevStride; dc [rows, Hp] is contiguous; whT is Wh^T [4Hp, Hp] packed by packPanels.wat.
;; dh already holds the gradient from above plus the one from step t+1.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (import "matmulF32" "matmul" (func $matmul (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))

  (func (export "lstmStepBackward")
    (param $z i32) (param $zStride i32) (param $dh i32) (param $tanhC i32) (param $stride i32)
    (param $cPrev i32) (param $prevStride i32) (param $dc i32) (param $whT i32) (param $dhPrev i32) (param $rows i32) (param $hp i32)
    (local $r i32) (local $j i32) (local $block i32) (local $pz i32) (local $ps i32) (local $pd i32)
    (local $i v128) (local $f v128) (local $g v128) (local $o v128) (local $tc v128) (local $dhv v128) (local $dcv v128)
    (local $one v128)
    (local.set $one (v128.const f32x4 1 1 1 1))
    (local.set $block (i32.shl (local.get $hp) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (loop $units
          (local.set $pz (i32.add (i32.add (local.get $z) (i32.mul (local.get $r) (local.get $zStride))) (local.get $j)))
          (local.set $ps (i32.add (i32.mul (local.get $r) (local.get $stride)) (local.get $j)))
          (local.set $pd (i32.add (i32.add (local.get $dc) (i32.mul (local.get $r) (local.get $block))) (local.get $j)))
          (local.set $i (v128.load (local.get $pz)))
          (local.set $f (v128.load (i32.add (local.get $pz) (local.get $block))))
          (local.set $g (v128.load (i32.add (local.get $pz) (i32.shl (local.get $block) (i32.const 1)))))
          (local.set $o (v128.load (i32.add (local.get $pz) (i32.mul (local.get $block) (i32.const 3)))))
          (local.set $tc (v128.load (i32.add (local.get $tanhC) (local.get $ps))))
          (local.set $dhv (v128.load (i32.add (local.get $dh) (local.get $ps))))
          (local.set $dcv (f32x4.add (v128.load (local.get $pd))
            (f32x4.mul (f32x4.mul (local.get $dhv) (local.get $o)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $tc) (local.get $tc))))))
          (v128.store (local.get $pz)
            (f32x4.mul (f32x4.mul (f32x4.mul (local.get $dcv) (local.get $g)) (local.get $i)) (f32x4.sub (local.get $one) (local.get $i))))
          (v128.store (i32.add (local.get $pz) (local.get $block))
            (f32x4.mul (f32x4.mul (f32x4.mul (local.get $dcv)
              (v128.load (i32.add (i32.add (local.get $cPrev) (i32.mul (local.get $r) (local.get $prevStride))) (local.get $j))))
              (local.get $f)) (f32x4.sub (local.get $one) (local.get $f))))
          (v128.store (i32.add (local.get $pz) (i32.shl (local.get $block) (i32.const 1)))
            (f32x4.mul (f32x4.mul (local.get $dcv) (local.get $i)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $g) (local.get $g)))))
          (v128.store (i32.add (local.get $pz) (i32.mul (local.get $block) (i32.const 3)))
            (f32x4.mul (f32x4.mul (f32x4.mul (local.get $dhv) (local.get $tc)) (local.get $o)) (f32x4.sub (local.get $one) (local.get $o))))
          (v128.store (local.get $pd) (f32x4.mul (local.get $dcv) (local.get $f)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $units (i32.lt_u (local.get $j) (local.get $block))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop)))
    (if (local.get $dhPrev)
      (then
        (call $matmul (local.get $dhPrev) (local.get $z) (local.get $whT) (local.get $rows) (i32.shl (local.get $hp) (i32.const 2))
          (local.get $hp) (local.get $zStride) (local.get $stride) (i32.const 1) (i32.const 0)))))
)
