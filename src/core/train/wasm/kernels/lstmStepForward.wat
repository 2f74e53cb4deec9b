;; One LSTM time step, forward, for `rows` batch rows:
;;   z += hPrev Wh                               z [rows, 4Hp]: in, x Wx + b of this step
;;   i, f, o = sigmoid(z_i, z_f, z_o); g = tanh(z_g)   written back over z (backward reads them)
;;   c = f cPrev + i g;  h = o tanh(c)           h, c, tanhC [rows, Hp]
;; Gate blocks in Keras order i, f, g (candidate), o, each Hp wide.
;; Rows of z are zStride bytes apart, of hPrev and cPrev prevStride, of h, c
;; and tanhC outStride (the batch-major [B, T, .] buffers read one time step
;; at a time); wh is Wh [Hp, 4Hp] packed by packPanels.wat. Hp is a multiple of 8.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (import "matmulF32" "matmul" (func $matmul (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "activations" "activate" (func $activate (param i32 i32 i32 i32)))

  (func (export "lstmStepForward")
    (param $z i32) (param $zStride i32) (param $hPrev i32) (param $cPrev i32) (param $prevStride i32)
    (param $h i32) (param $c i32) (param $tanhC i32) (param $outStride i32) (param $wh i32) (param $rows i32) (param $hp i32)
    (local $r i32) (local $j i32) (local $block i32) (local $pz i32) (local $po i32) (local $pp i32)
    ;; the recurrent product, accumulated onto the input projection
    (call $matmul (local.get $z) (local.get $hPrev) (local.get $wh) (local.get $rows) (local.get $hp)
      (i32.shl (local.get $hp) (i32.const 2)) (local.get $prevStride) (local.get $zStride) (i32.const 1) (i32.const 0))
    (local.set $block (i32.shl (local.get $hp) (i32.const 2)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $pz (i32.add (local.get $z) (i32.mul (local.get $r) (local.get $zStride))))
        (local.set $po (i32.mul (local.get $r) (local.get $outStride)))
        (local.set $pp (i32.add (local.get $cPrev) (i32.mul (local.get $r) (local.get $prevStride))))
        ;; i and f are adjacent blocks: one span
        (call $activate (local.get $pz) (local.get $pz) (i32.shl (local.get $hp) (i32.const 1)) (i32.const 1))
        (call $activate (i32.add (local.get $pz) (i32.shl (local.get $block) (i32.const 1))) (i32.add (local.get $pz) (i32.shl (local.get $block) (i32.const 1)))
          (local.get $hp) (i32.const 2))
        (call $activate (i32.add (local.get $pz) (i32.mul (local.get $block) (i32.const 3))) (i32.add (local.get $pz) (i32.mul (local.get $block) (i32.const 3)))
          (local.get $hp) (i32.const 1))
        ;; c = f cPrev + i g
        (local.set $j (i32.const 0))
        (loop $cell
          (v128.store (i32.add (i32.add (local.get $c) (local.get $po)) (local.get $j))
            (f32x4.add
              (f32x4.mul (v128.load (i32.add (i32.add (local.get $pz) (local.get $block)) (local.get $j))) (v128.load (i32.add (local.get $pp) (local.get $j))))
              (f32x4.mul (v128.load (i32.add (local.get $pz) (local.get $j)))
                         (v128.load (i32.add (i32.add (local.get $pz) (i32.shl (local.get $block) (i32.const 1))) (local.get $j))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $cell (i32.lt_u (local.get $j) (local.get $block))))
        (call $activate (i32.add (local.get $tanhC) (local.get $po)) (i32.add (local.get $c) (local.get $po)) (local.get $hp) (i32.const 2))
        ;; h = o tanh(c)
        (local.set $j (i32.const 0))
        (loop $out
          (v128.store (i32.add (i32.add (local.get $h) (local.get $po)) (local.get $j))
            (f32x4.mul (v128.load (i32.add (i32.add (local.get $pz) (i32.mul (local.get $block) (i32.const 3))) (local.get $j)))
                       (v128.load (i32.add (i32.add (local.get $tanhC) (local.get $po)) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $out (i32.lt_u (local.get $j) (local.get $block))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
)
