/** ASCII Mandelbrot: renders the Mandelbrot set in the terminal. */
import { requireLicense } from './runtime.ts';

await requireLicense('ascii-mandelbrot', 'ASCII Mandelbrot');
const width = Number(process.env.COLUMNS_OVERRIDE ?? 72);
const height = 24;
const shades = ' .:-=+*#%@';
for (let row = 0; row < height; row++) {
  let line = '';
  for (let col = 0; col < width; col++) {
    const cr = -2.2 + (col / width) * 3.2;
    const ci = -1.2 + (row / height) * 2.4;
    let zr = 0;
    let zi = 0;
    let n = 0;
    while (n < 60 && zr * zr + zi * zi < 4) {
      [zr, zi] = [zr * zr - zi * zi + cr, 2 * zr * zi + ci];
      n++;
    }
    line += shades[Math.min(shades.length - 1, Math.floor((n / 60) * (shades.length - 1)))];
  }
  console.log(line);
}
