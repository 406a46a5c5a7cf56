#!/usr/bin/env node
// Copies the parts of the French State's design system (DSFR) the portal
// uses from infra/dsfr/node_modules (the exact version pinned in
// infra/dsfr/package.json) into functions/common/assets/portal/assets/dsfr/,
// which the binary embeds: its core and the logo, header and footer
// components in one stylesheet, the two Marianne weights it needs (woff2
// only) and the one icon the core's stylesheet draws (external links).
//
// The portal serves every asset flat under /assets/, so the stylesheet's
// relative URLs (../fonts/, ../icons/system/) are rewritten to the file's
// name, and the @font-face rules of the fonts not copied are dropped (the
// browser then synthesises italics and takes the nearest weight).
//
//   (cd infra/dsfr && npm ci) && node infra/scripts/vendor-dsfr.mjs          # write
//   node infra/scripts/vendor-dsfr.mjs --check  # exit 1 if the copy differs
import { readFileSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = join(root, 'infra/dsfr/node_modules/@gouvfr/dsfr');
const out = join(root, 'functions/common/assets/portal/assets/dsfr');
const pinned = JSON.parse(readFileSync(join(root, 'infra/dsfr/package.json'), 'utf8'))
  .devDependencies['@gouvfr/dsfr'];
const installed = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version;
if (installed !== pinned) {
  console.error(`@gouvfr/dsfr ${installed} is installed, ${pinned} is pinned: run npm ci in infra/dsfr`);
  process.exit(1);
}

const STYLESHEETS = [
  'core/core.main.min.css',
  'component/logo/logo.main.min.css',
  'component/header/header.main.min.css',
  'component/footer/footer.main.min.css',
];
const FONTS = ['Marianne-Regular.woff2', 'Marianne-Bold.woff2'];
const ICONS = ['system/external-link-line.svg'];

function stylesheet() {
  const parts = STYLESHEETS.map((file) => {
    let css = readFileSync(join(pkg, 'dist', file), 'utf8');
    css = css.replace(/@font-face\{[^}]*\}/g, (rule) => {
      const woff2 = /url\(\.\.\/fonts\/([^)]+\.woff2)\)/.exec(rule);
      if (!woff2 || !FONTS.includes(woff2[1])) return '';
      return rule.replace(/,url\([^)]+\.woff\) format\("woff"\)/, '');
    });
    css = css.replace(/url\((?:\.\.\/)+(?:fonts|icons\/[a-z]+)\/([^)]+)\)/g, 'url($1)');
    return `/* ${file} */\n${css.trim()}\n`;
  });
  return `/* @gouvfr/dsfr ${pinned} (Etalab-2.0, restricted use: LICENSE.md), made by infra/scripts/vendor-dsfr.mjs: do not edit */\n${parts.join('')}`;
}

const files = new Map([
  ['dsfr.min.css', Buffer.from(stylesheet())],
  ['LICENSE.md', readFileSync(join(pkg, 'LICENSE.md'))],
  ...FONTS.map((f) => [f, readFileSync(join(pkg, 'dist/fonts', f))]),
  ...ICONS.map((i) => [i.split('/').pop(), readFileSync(join(pkg, 'dist/icons', i))]),
]);

if (process.argv.includes('--check')) {
  let present = [];
  try { present = readdirSync(out); } catch { /* none yet */ }
  const problems = [];
  for (const [name, bytes] of files) {
    let copy;
    try { copy = readFileSync(join(out, name)); } catch { problems.push(`${name} is missing`); continue; }
    if (!copy.equals(bytes)) problems.push(`${name} differs from @gouvfr/dsfr ${pinned}`);
  }
  for (const name of present) if (!files.has(name)) problems.push(`${name} is not DSFR's`);
  if (problems.length) {
    console.error(`${out}:\n  ${problems.join('\n  ')}\nrun node infra/scripts/vendor-dsfr.mjs`);
    process.exit(1);
  }
  console.log(`the vendored DSFR is @gouvfr/dsfr ${pinned}'s (${files.size} files)`);
} else {
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(out, name), bytes);
  let total = 0;
  for (const [name, bytes] of files) { total += bytes.length; console.log(`${bytes.length}\t${name}`); }
  console.log(`${total}\ttotal`);
}
