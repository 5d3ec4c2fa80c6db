// Kept equal to package.json's version (a unit test checks it), so the bundle needs no JSON import.
export const VERSION = '0.1.0';
