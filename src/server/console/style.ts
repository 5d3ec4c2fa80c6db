// The console's one stylesheet, served from the package (no CDN): system fonts, high contrast, a
// visible focus ring for keyboard use.
/** The console's icon: a key, in the accent colour (browsers ask for one on every page). */
export const CONSOLE_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="10" cy="16" r="7" fill="none" stroke="#0b57d0" stroke-width="4"/><path d="M17 16h13M25 16v6M29 16v4" stroke="#0b57d0" stroke-width="4"/></svg>`;

export const CONSOLE_CSS = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #4d5561; --line: #d0d7de; --accent: #0b57d0; --bad: #a4161a; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; }
header { display: flex; gap: 1rem; align-items: center; justify-content: space-between; padding: .75rem 1.5rem; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 600; text-decoration: none; color: var(--ink); }
main { max-width: 64rem; margin: 0 auto; padding: 1.5rem; }
details.confirm summary { cursor: pointer; color: var(--accent); } details.confirm p { margin: .25rem 0; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; } h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
form.stack { display: grid; gap: .75rem; max-width: 24rem; }
label { font-weight: 600; display: grid; gap: .25rem; }
input { font: inherit; padding: .5rem; border: 1px solid var(--muted); border-radius: 4px; }
button { font: inherit; padding: .5rem 1rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
button.link { background: none; color: var(--accent); border: none; padding: 0; text-decoration: underline; }
.error { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.5rem; margin: 0; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
section.product { border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.25rem; margin: 1rem 0; }
ul.orgs { padding-left: 1.25rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0; }
caption { text-align: left; color: var(--muted); font-size: .9rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .92em; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: .75rem; overflow-x: auto; }
form.inline { display: inline; margin: 0; }
form.row { display: flex; gap: .75rem; align-items: end; flex-wrap: wrap; margin: .5rem 0; }
label.check { font-weight: 400; display: flex; gap: .5rem; align-items: start; }
button:disabled { opacity: .55; cursor: not-allowed; }
.done { color: #1a7f37; font-weight: 600; }
p.pager { display: flex; gap: 1.5rem; margin: .25rem 0 .75rem; }
`;
