;; Packs a weight matrix as matmul's B operand, in strips of 8 columns:
;;   B = W (transposed = 0) or B = W^T (transposed = 1), W [rows, cols] with
;;   rows ld bytes apart (a block of a wider matrix when ld > 4 cols), so
;;   B is [K, N] = [rows, cols] or [cols, rows];
;;   out[s][k][q] = B[k][8s + q], strips s0 <= s < s1, each K x 8 contiguous floats.
;; matmul then reads B down a strip in address order, 32 bytes a row, where
;; it would otherwise step N floats a row (4 KB for N = 1024: every row on the
;; same L1 set). N is a multiple of 8; out is 16-byte aligned.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "packPanels") (param $out i32) (param $w i32) (param $rows i32) (param $cols i32) (param $ld i32) (param $transposed i32) (param $s0 i32) (param $s1 i32)
    (local $s i32) (local $k i32) (local $q i32) (local $kCount i32) (local $dst i32) (local $src i32) (local $rowBytes i32)
    (local.set $rowBytes (local.get $ld))
    (local.set $kCount (select (local.get $cols) (local.get $rows) (local.get $transposed)))
    (local.set $s (local.get $s0))
    (block $done
      (loop $strips
        (br_if $done (i32.ge_u (local.get $s) (local.get $s1)))
        (local.set $dst (i32.add (local.get $out) (i32.shl (i32.mul (local.get $s) (local.get $kCount)) (i32.const 5))))
        (local.set $k (i32.const 0))
        (block $kDone
          (loop $kLoop
            (br_if $kDone (i32.ge_u (local.get $k) (local.get $kCount)))
            (if (local.get $transposed)
              (then
                ;; B[k][8s + q] = W[8s + q][k]
                (local.set $src (i32.add (local.get $w)
                  (i32.add (i32.mul (i32.shl (local.get $s) (i32.const 3)) (local.get $rowBytes)) (i32.shl (local.get $k) (i32.const 2)))))
                (local.set $q (i32.const 0))
                (loop $lanes
                  (f32.store (i32.add (local.get $dst) (i32.shl (local.get $q) (i32.const 2))) (f32.load (local.get $src)))
                  (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
                  (local.set $q (i32.add (local.get $q) (i32.const 1)))
                  (br_if $lanes (i32.lt_u (local.get $q) (i32.const 8)))))
              (else
                (local.set $src (i32.add (local.get $w)
                  (i32.add (i32.mul (local.get $k) (local.get $rowBytes)) (i32.shl (local.get $s) (i32.const 5)))))
                (v128.store (local.get $dst) (v128.load (local.get $src)))
                (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kLoop)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $strips))))
)
