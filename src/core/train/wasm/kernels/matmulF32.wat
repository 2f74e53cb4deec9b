;; The matrix products of a training step, f32 with 128-bit SIMD.
;;
;;   matmul:       C[m, n] = init + A[m, k] B[k, n]      (B packed by packPanels.wat)
;;                 init 0: zeros; 1: C itself (accumulate); 2: the row bias[n] on every row
;;   matmulTransA: C[k0..k1, n] = A[rows, k0..k1]^T B[rows, n]   (weight gradients)
;;
;; Pointers are byte offsets into the shared memory. A's rows are lda bytes
;; apart, C rows ldc bytes apart (matmulTransA's C may be some columns of a
;; wider matrix: a GRU's recurrent kernel takes two products side by side);
;; matmul's B is in strips of 8 columns (strip s: k rows of 8 floats,
;; contiguous), matmulTransA's B rows are ldb bytes apart. n is a multiple of 8, k0 and k1
;; multiples of 4; B, C and bias are 16-byte aligned.
;;
;; A block of 4 output rows x 8 columns stays in 8 registers for the whole
;; reduction, so each B vector loaded serves 4 rows and each A value (a
;; splat load) 2 vectors: 6 loads per 16 SIMD operations, with 11 of the 16
;; xmm registers V8 allocates. Every output element is summed in the same
;; order (k, or r, ascending) whichever block or thread computes it, so the
;; results do not depend on how the work is split.
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func (export "matmul")
    (param $c i32) (param $a i32) (param $b i32) (param $m i32) (param $k i32) (param $n i32)
    (param $lda i32) (param $ldc i32) (param $init i32) (param $bias i32)
    (local $i i32) (local $j i32) (local $kk i32) (local $nBytes i32) (local $pa i32) (local $pb i32) (local $pc i32)
    (local $lda2 i32) (local $lda3 i32) (local $panel i32) (local $panelEnd i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local.set $nBytes (i32.shl (local.get $n) (i32.const 2)))
    ;; j counts bytes of a C row; the strip of B under columns j..j+7 starts j * k bytes in (32 bytes a row)
    (local.set $lda2 (i32.shl (local.get $lda) (i32.const 1)))
    (local.set $lda3 (i32.add (local.get $lda2) (local.get $lda)))
    ;; Columns in panels of 128 (512 bytes): a panel of B stays in L2 while
    ;; every block of rows passes over it.
    (loop $panels
      (local.set $panelEnd (i32.add (local.get $panel) (i32.const 512)))
      (if (i32.gt_u (local.get $panelEnd) (local.get $nBytes)) (then (local.set $panelEnd (local.get $nBytes))))
    (local.set $i (i32.const 0))
    ;; rows in blocks of 4
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
        (local.set $j (local.get $panel))
        (loop $cols
          (local.set $pc (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))) (local.get $j)))
          (if (i32.eq (local.get $init) (i32.const 1))
            (then
              (local.set $c00 (v128.load (local.get $pc)))
              (local.set $c01 (v128.load offset=16 (local.get $pc)))
              (local.set $c10 (v128.load (i32.add (local.get $pc) (local.get $ldc))))
              (local.set $c11 (v128.load offset=16 (i32.add (local.get $pc) (local.get $ldc))))
              (local.set $c20 (v128.load (i32.add (local.get $pc) (i32.shl (local.get $ldc) (i32.const 1)))))
              (local.set $c21 (v128.load offset=16 (i32.add (local.get $pc) (i32.shl (local.get $ldc) (i32.const 1)))))
              (local.set $c30 (v128.load (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 3)))))
              (local.set $c31 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 3))))))
            (else
              (if (i32.eq (local.get $init) (i32.const 2))
                (then
                  (local.set $c00 (v128.load (i32.add (local.get $bias) (local.get $j))))
                  (local.set $c01 (v128.load offset=16 (i32.add (local.get $bias) (local.get $j)))))
                (else
                  (local.set $c00 (v128.const i32x4 0 0 0 0))
                  (local.set $c01 (v128.const i32x4 0 0 0 0))))
              (local.set $c10 (local.get $c00)) (local.set $c11 (local.get $c01))
              (local.set $c20 (local.get $c00)) (local.set $c21 (local.get $c01))
              (local.set $c30 (local.get $c00)) (local.set $c31 (local.get $c01))))
          (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
          (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $k))))
          (local.set $kk (local.get $k))
          (block $kDone
            (loop $kLoop
              (br_if $kDone (i32.eqz (local.get $kk)))
              (local.set $b0 (v128.load (local.get $pb)))
              (local.set $b1 (v128.load offset=16 (local.get $pb)))
              (local.set $x (v128.load32_splat (local.get $pa)))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
              (local.set $x (v128.load32_splat (i32.add (local.get $pa) (local.get $lda))))
              (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
              (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
              (local.set $x (v128.load32_splat (i32.add (local.get $pa) (local.get $lda2))))
              (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
              (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
              (local.set $x (v128.load32_splat (i32.add (local.get $pa) (local.get $lda3))))
              (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
              (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
              (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
              (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
              (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
              (br $kLoop)))
          (v128.store (local.get $pc) (local.get $c00))
          (v128.store offset=16 (local.get $pc) (local.get $c01))
          (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
          (v128.store (local.get $pc) (local.get $c10))
          (v128.store offset=16 (local.get $pc) (local.get $c11))
          (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
          (v128.store (local.get $pc) (local.get $c20))
          (v128.store offset=16 (local.get $pc) (local.get $c21))
          (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
          (v128.store (local.get $pc) (local.get $c30))
          (v128.store offset=16 (local.get $pc) (local.get $c31))
          (local.set $j (i32.add (local.get $j) (i32.const 32)))
          (br_if $cols (i32.lt_u (local.get $j) (local.get $panelEnd))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows)))
    ;; the last m mod 4 rows: a block of 2 (B vectors serve both), then one;
    ;; every element still sums in the same order of operations
    (if (i32.le_u (i32.add (local.get $i) (i32.const 2)) (local.get $m))
      (then
        (local.set $j (local.get $panel))
        (loop $pairCols
          (local.set $pc (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))) (local.get $j)))
          (if (i32.eq (local.get $init) (i32.const 1))
            (then
              (local.set $c00 (v128.load (local.get $pc)))
              (local.set $c01 (v128.load offset=16 (local.get $pc)))
              (local.set $c10 (v128.load (i32.add (local.get $pc) (local.get $ldc))))
              (local.set $c11 (v128.load offset=16 (i32.add (local.get $pc) (local.get $ldc)))))
            (else
              (if (i32.eq (local.get $init) (i32.const 2))
                (then
                  (local.set $c00 (v128.load (i32.add (local.get $bias) (local.get $j))))
                  (local.set $c01 (v128.load offset=16 (i32.add (local.get $bias) (local.get $j)))))
                (else
                  (local.set $c00 (v128.const i32x4 0 0 0 0))
                  (local.set $c01 (v128.const i32x4 0 0 0 0))))
              (local.set $c10 (local.get $c00)) (local.set $c11 (local.get $c01))))
          (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
          (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $k))))
          (local.set $kk (local.get $k))
          (block $pkDone
            (loop $pkLoop
              (br_if $pkDone (i32.eqz (local.get $kk)))
              (local.set $b0 (v128.load (local.get $pb)))
              (local.set $b1 (v128.load offset=16 (local.get $pb)))
              (local.set $x (v128.load32_splat (local.get $pa)))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
              (local.set $x (v128.load32_splat (i32.add (local.get $pa) (local.get $lda))))
              (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
              (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
              (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
              (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
              (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
              (br $pkLoop)))
          (v128.store (local.get $pc) (local.get $c00))
          (v128.store offset=16 (local.get $pc) (local.get $c01))
          (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
          (v128.store (local.get $pc) (local.get $c10))
          (v128.store offset=16 (local.get $pc) (local.get $c11))
          (local.set $j (i32.add (local.get $j) (i32.const 32)))
          (br_if $pairCols (i32.lt_u (local.get $j) (local.get $panelEnd))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $j (local.get $panel))
        (loop $tailCols
          (local.set $pc (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))) (local.get $j)))
          (if (i32.eq (local.get $init) (i32.const 1))
            (then
              (local.set $c00 (v128.load (local.get $pc)))
              (local.set $c01 (v128.load offset=16 (local.get $pc))))
            (else
              (if (i32.eq (local.get $init) (i32.const 2))
                (then
                  (local.set $c00 (v128.load (i32.add (local.get $bias) (local.get $j))))
                  (local.set $c01 (v128.load offset=16 (i32.add (local.get $bias) (local.get $j)))))
                (else
                  (local.set $c00 (v128.const i32x4 0 0 0 0))
                  (local.set $c01 (v128.const i32x4 0 0 0 0))))))
          (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
          (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $k))))
          (local.set $kk (local.get $k))
          (block $tkDone
            (loop $tkLoop
              (br_if $tkDone (i32.eqz (local.get $kk)))
              (local.set $x (v128.load32_splat (local.get $pa)))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (v128.load (local.get $pb)))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
              (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
              (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
              (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
              (br $tkLoop)))
          (v128.store (local.get $pc) (local.get $c00))
          (v128.store offset=16 (local.get $pc) (local.get $c01))
          (local.set $j (i32.add (local.get $j) (i32.const 32)))
          (br_if $tailCols (i32.lt_u (local.get $j) (local.get $panelEnd))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (local.set $panel (local.get $panelEnd))
      (br_if $panels (i32.lt_u (local.get $panel) (local.get $nBytes)))))

  ;; Rows are taken in tiles of 64 (the tile of A and B stays in L2 while
  ;; every output block passes over it), accumulating into C from the second
  ;; tile on; the tiling is fixed, so the summation order still is r ascending.
  (func (export "matmulTransA")
    (param $c i32) (param $a i32) (param $b i32) (param $rows i32) (param $k0 i32) (param $k1 i32) (param $n i32)
    (param $lda i32) (param $ldb i32) (param $ldc i32)
    (local $r0 i32) (local $r i32) (local $rEnd i32) (local $kk i32) (local $j i32) (local $nBytes i32)
    (local $pa i32) (local $pb i32) (local $pc i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local.set $nBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $r0 (i32.const 0))
    ;; at least one tile, so that rows = 0 still writes zeros
    (loop $tiles
      (local.set $rEnd (i32.add (local.get $r0) (i32.const 64)))
      (if (i32.gt_u (local.get $rEnd) (local.get $rows)) (then (local.set $rEnd (local.get $rows))))
      (local.set $kk (local.get $k0))
      (block $kDone
        (loop $kBlocks
          (br_if $kDone (i32.ge_u (local.get $kk) (local.get $k1)))
          (local.set $j (i32.const 0))
          (loop $cols
            (local.set $pc (i32.add (i32.add (local.get $c) (i32.mul (local.get $kk) (local.get $ldc))) (local.get $j)))
            (if (i32.eqz (local.get $r0))
              (then
                (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
                (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
                (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
                (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0)))
              (else
                (local.set $c00 (v128.load (local.get $pc)))
                (local.set $c01 (v128.load offset=16 (local.get $pc)))
                (local.set $c10 (v128.load (i32.add (local.get $pc) (local.get $ldc))))
                (local.set $c11 (v128.load offset=16 (i32.add (local.get $pc) (local.get $ldc))))
                (local.set $c20 (v128.load (i32.add (local.get $pc) (i32.shl (local.get $ldc) (i32.const 1)))))
                (local.set $c21 (v128.load offset=16 (i32.add (local.get $pc) (i32.shl (local.get $ldc) (i32.const 1)))))
                (local.set $c30 (v128.load (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 3)))))
                (local.set $c31 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const 3)))))))
            (local.set $pa (i32.add (i32.add (local.get $a) (i32.mul (local.get $r0) (local.get $lda))) (i32.shl (local.get $kk) (i32.const 2))))
            (local.set $pb (i32.add (i32.add (local.get $b) (i32.mul (local.get $r0) (local.get $ldb))) (local.get $j)))
            (local.set $r (local.get $r0))
            (block $rDone
              (loop $rLoop
                (br_if $rDone (i32.ge_u (local.get $r) (local.get $rEnd)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $x (v128.load32_splat (local.get $pa)))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (v128.load32_splat offset=4 (local.get $pa)))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (v128.load32_splat offset=8 (local.get $pa)))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (v128.load32_splat offset=12 (local.get $pa)))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $pa (i32.add (local.get $pa) (local.get $lda)))
                (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $rLoop)))
            (v128.store (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
            (v128.store (local.get $pc) (local.get $c10))
            (v128.store offset=16 (local.get $pc) (local.get $c11))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
            (v128.store (local.get $pc) (local.get $c20))
            (v128.store offset=16 (local.get $pc) (local.get $c21))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
            (v128.store (local.get $pc) (local.get $c30))
            (v128.store offset=16 (local.get $pc) (local.get $c31))
            (local.set $j (i32.add (local.get $j) (i32.const 32)))
            (br_if $cols (i32.lt_u (local.get $j) (local.get $nBytes))))
          (local.set $kk (i32.add (local.get $kk) (i32.const 4)))
          (br $kBlocks)))
      (local.set $r0 (local.get $rEnd))
      (br_if $tiles (i32.lt_u (local.get $r0) (local.get $rows)))))
)
