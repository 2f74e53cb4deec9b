;; Softmax cross-entropy of `rows` positions, and its gradient.
;;   logits [rows, vp] (contiguous), of which the first v columns are real;
;;   targets [rows] i32; stats [rows, 2] f32.
;; Per row: m = max_j l_j, s = sum_j e^(l_j - m); stats = (s, l_y - m), from
;; which the caller forms the loss log(s) - (l_y - m) in float64 (the one log
;; per row is not worth a wasm log). The logits are overwritten: by
;; e^(l_j - m), or with grad != 0 by the gradient of `scale` * loss,
;; (e^(l_j - m) / s - [j = y]) * scale; 0 in the padding columns either way,
;; so the padded output weights get no gradient.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (import "activations" "activate" (func $activate (param i32 i32 i32 i32)))

  ;; all-ones in the lanes of columns j..j+3 that are < v
  (func $realLanes (param $j i32) (param $v i32) (result v128)
    (i32x4.lt_s (i32x4.add (i32x4.splat (local.get $j)) (v128.const i32x4 0 1 2 3)) (i32x4.splat (local.get $v))))

  (func (export "softmaxCrossEntropy")
    (param $logits i32) (param $targets i32) (param $stats i32) (param $rows i32) (param $v i32) (param $vp i32)
    (param $scale f32) (param $grad i32)
    (local $r i32) (local $j i32) (local $row i32) (local $p i32) (local $y i32)
    (local $mx v128) (local $sum v128) (local $e v128) (local $m f32) (local $s f32) (local $k v128)
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.add (local.get $logits) (i32.mul (local.get $r) (i32.shl (local.get $vp) (i32.const 2)))))
        ;; max over the real columns
        (local.set $mx (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $j (i32.const 0))
        (loop $maxLoop
          (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $mx (f32x4.pmax (local.get $mx)
            (v128.bitselect (v128.load (local.get $p)) (v128.const f32x4 -inf -inf -inf -inf) (call $realLanes (local.get $j) (local.get $v)))))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br_if $maxLoop (i32.lt_u (local.get $j) (local.get $vp))))
        (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $mx)) (f32x4.extract_lane 1 (local.get $mx)))
                               (f32.max (f32x4.extract_lane 2 (local.get $mx)) (f32x4.extract_lane 3 (local.get $mx)))))
        ;; l_y - m, read before the exp pass overwrites the row
        (local.set $y (i32.load (i32.add (local.get $targets) (i32.shl (local.get $r) (i32.const 2)))))
        (f32.store offset=4 (i32.add (local.get $stats) (i32.shl (local.get $r) (i32.const 3)))
          (f32.sub (f32.load (i32.add (local.get $row) (i32.shl (local.get $y) (i32.const 2)))) (local.get $m)))
        ;; e = exp(l - m) in place, then 0 in the padding
        (local.set $j (i32.const 0))
        (loop $shift
          (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
          (v128.store (local.get $p) (f32x4.sub (v128.load (local.get $p)) (f32x4.splat (local.get $m))))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br_if $shift (i32.lt_u (local.get $j) (local.get $vp))))
        (call $activate (local.get $row) (local.get $row) (local.get $vp) (i32.const 0))
        (local.set $sum (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (loop $sumLoop
          (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $e (v128.and (v128.load (local.get $p)) (call $realLanes (local.get $j) (local.get $v))))
          (v128.store (local.get $p) (local.get $e))
          (local.set $sum (f32x4.add (local.get $sum) (local.get $e)))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br_if $sumLoop (i32.lt_u (local.get $j) (local.get $vp))))
        (local.set $s (f32.add (f32.add (f32x4.extract_lane 0 (local.get $sum)) (f32x4.extract_lane 1 (local.get $sum)))
                               (f32.add (f32x4.extract_lane 2 (local.get $sum)) (f32x4.extract_lane 3 (local.get $sum)))))
        (f32.store (i32.add (local.get $stats) (i32.shl (local.get $r) (i32.const 3))) (local.get $s))
        (if (local.get $grad)
          (then
            (local.set $k (f32x4.splat (f32.div (local.get $scale) (local.get $s))))
            (local.set $j (i32.const 0))
            (loop $gradLoop
              (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
              (v128.store (local.get $p) (f32x4.mul (v128.load (local.get $p)) (local.get $k)))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br_if $gradLoop (i32.lt_u (local.get $j) (local.get $vp))))
            (local.set $p (i32.add (local.get $row) (i32.shl (local.get $y) (i32.const 2))))
            (f32.store (local.get $p) (f32.sub (f32.load (local.get $p)) (local.get $scale)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
)
