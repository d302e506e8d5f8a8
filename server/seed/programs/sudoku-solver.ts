/** Sudoku Solver: solves a puzzle (given as 81 digits, 0 for blanks) by backtracking. */
import { requireLicense } from './runtime.ts';

await requireLicense('sudoku-solver', 'Sudoku Solver');
const input =
  process.argv[2] ?? '530070000600195000098000060800060003400803001700020006060000280000419005000080079';
if (!/^[0-9]{81}$/.test(input)) {
  console.error('Give the puzzle as 81 digits, 0 for blanks.');
  process.exit(2);
}
const grid = [...input].map(Number);

function fits(index: number, digit: number): boolean {
  const row = Math.floor(index / 9);
  const col = index % 9;
  for (let k = 0; k < 9; k++) {
    if (grid[row * 9 + k] === digit || grid[k * 9 + col] === digit) return false;
    const r = 3 * Math.floor(row / 3) + Math.floor(k / 3);
    const c = 3 * Math.floor(col / 3) + (k % 3);
    if (grid[r * 9 + c] === digit) return false;
  }
  return true;
}

function solve(): boolean {
  const index = grid.indexOf(0);
  if (index < 0) return true;
  for (let digit = 1; digit <= 9; digit++) {
    if (fits(index, digit)) {
      grid[index] = digit;
      if (solve()) return true;
    }
  }
  grid[index] = 0;
  return false;
}

if (!solve()) {
  console.error('This puzzle has no solution.');
  process.exit(1);
}
for (let row = 0; row < 9; row++) {
  if (row % 3 === 0) console.log('+-------+-------+-------+');
  const cells = grid.slice(row * 9, row * 9 + 9);
  console.log(
    `| ${cells.slice(0, 3).join(' ')} | ${cells.slice(3, 6).join(' ')} | ${cells.slice(6, 9).join(' ')} |`,
  );
}
console.log('+-------+-------+-------+');
console.log('Solved.');
