/** Reports: summary.json, junit.xml, summary.md, report.html, the terminal grade sheet, compare. */
export * from './charts.js';
export * from './compare.js';
export * from './escape.js';
export * from './html.js';
export * from './junit.js';
export * from './markdown.js';
export * from './summary.js';
export * from './terminal.js';
export * from './write.js';
