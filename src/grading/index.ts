/** Grading: metrics + acceptance table → bands → verdict → exit code. */
export * from './bands.js';
export * from './format.js';
export * from './grade.js';
