import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replacedSuffix } from '../../src/extension/suffixOverlap';

test('a completion replaces the text right of the cursor that it writes itself', () => {
  // The case: the editor had closed the paren.
  assert.equal(replacedSuffix('nr_tags; i++) {', ')'), 1);
  assert.equal(replacedSuffix('x, y);', ');'), 2);
  // Only as much of the rest as the completion writes.
  assert.equal(replacedSuffix('n)', ') + 1;'), 1);
  assert.equal(replacedSuffix('count', ')'), 0);
  assert.equal(replacedSuffix('anything', ''), 0);
  // A shared space alone is no overlap; the whole rest of the line can be.
  assert.equal(replacedSuffix('a b', ' = 5;'), 0);
  assert.equal(replacedSuffix('i++) {', ') {'), 3);
  // Only the first line: the range must stay on the cursor's line.
  assert.equal(replacedSuffix('x\n)', ')'), 0);
});
