;; out[r, :] = table[ids[r], :] for r < rows.
;; Shapes: table [V, Ep], out [rows, Ep] (contiguous), ids [rows] i32; Ep floats a row.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "embeddingLookup") (param $out i32) (param $table i32) (param $ids i32) (param $rows i32) (param $ep i32)
    (local $r i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $ep) (i32.const 2)))
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (memory.copy
          (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $bytes)))
          (i32.add (local.get $table) (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $r) (i32.const 2)))) (local.get $bytes)))
          (local.get $bytes))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
)
