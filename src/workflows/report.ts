/**
 * The demo's report: one self-contained folder with `report.html`, `report.md` and the PNGs they show.
 * Sections are plain data (text, tables, images) so each step of the demo adds what it measured.
 *
 *   const r = new Report('Scroll AUNN demo');
 *   r.section('Ink').table(['readout', 'F0.5'], [['CNN', 0.71]]).image('ink.png', 'predicted ink');
 *   r.section('Transfer').chart(lineChartSvg(chart), 'transfer.png', 'held-out PSNR vs steps');
 *   await r.write('demo-output');
 */
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

type Block =
  | { kind: 'text'; text: string }
  | { kind: 'table'; header: string[]; rows: (string | number)[][] }
  | { kind: 'image'; file: string; caption: string }
  | { kind: 'chart'; svg: string; file: string; caption: string }
  | { kind: 'pre'; text: string };

export class ReportSection {
  readonly blocks: Block[] = [];
  constructor(readonly title: string) {}
  text(text: string): this {
    this.blocks.push({ kind: 'text', text });
    return this;
  }
  pre(text: string): this {
    this.blocks.push({ kind: 'pre', text });
    return this;
  }
  table(header: string[], rows: (string | number)[][]): this {
    this.blocks.push({ kind: 'table', header, rows });
    return this;
  }
  /** `file` is relative to the report folder. */
  image(file: string, caption: string): this {
    this.blocks.push({ kind: 'image', file, caption });
    return this;
  }
  /** A chart: inline SVG in the HTML, the PNG `file` (relative to the report folder) in the Markdown. */
  chart(svg: string, file: string, caption: string): this {
    this.blocks.push({ kind: 'chart', svg, file, caption });
    return this;
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v);

export class Report {
  readonly sections: ReportSection[] = [];
  constructor(readonly title: string) {}

  section(title: string): ReportSection {
    const s = new ReportSection(title);
    this.sections.push(s);
    return s;
  }

  toMarkdown(): string {
    const out = [`# ${this.title}`, ''];
    for (const s of this.sections) {
      out.push(`## ${s.title}`, '');
      for (const b of s.blocks) {
        if (b.kind === 'text') out.push(b.text, '');
        else if (b.kind === 'pre') out.push('```', b.text, '```', '');
        else if (b.kind === 'image' || b.kind === 'chart') out.push(`![${b.caption}](${b.file})`, `*${b.caption}*`, '');
        else {
          out.push(`| ${b.header.join(' | ')} |`, `|${b.header.map(() => '---').join('|')}|`);
          for (const r of b.rows) out.push(`| ${r.map(fmt).join(' | ')} |`);
          out.push('');
        }
      }
    }
    return out.join('\n');
  }

  toHtml(): string {
    const body: string[] = [`<h1>${esc(this.title)}</h1>`];
    for (const s of this.sections) {
      body.push(`<h2>${esc(s.title)}</h2>`);
      for (const b of s.blocks) {
        if (b.kind === 'text') body.push(`<p>${esc(b.text)}</p>`);
        else if (b.kind === 'pre') body.push(`<pre>${esc(b.text)}</pre>`);
        else if (b.kind === 'image')
          body.push(
            `<figure><img src="${esc(b.file)}" alt="${esc(b.caption)}"><figcaption>${esc(b.caption)}</figcaption></figure>`,
          );
        else if (b.kind === 'chart')
          body.push(
            `<figure>${b.svg}<figcaption>${esc(b.caption)} (<a href="${esc(b.file)}">PNG</a>)</figcaption></figure>`,
          );
        else {
          body.push('<table><thead><tr>' + b.header.map((h) => `<th>${esc(h)}</th>`).join('') + '</tr></thead><tbody>');
          for (const r of b.rows) body.push('<tr>' + r.map((c) => `<td>${esc(fmt(c))}</td>`).join('') + '</tr>');
          body.push('</tbody></table>');
        }
      }
    }
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(this.title)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}img{max-width:100%;image-rendering:pixelated;border:1px solid #ddd}figure{margin:1em 0}
figcaption{color:#555;font-size:90%}pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:120%}</style></head>
<body>${body.join('\n')}</body></html>\n`;
  }

  async write(dir: string): Promise<{ html: string; markdown: string }> {
    await mkdir(dir, { recursive: true });
    const html = path.join(dir, 'report.html');
    const markdown = path.join(dir, 'report.md');
    await writeFile(html, this.toHtml());
    await writeFile(markdown, this.toMarkdown());
    return { html, markdown };
  }
}
