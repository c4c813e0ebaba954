import { confusionSvg } from '../../../src/evaluate/confusion-png';
import { csvField, csvText, parseCsv } from '../../../src/io/csv';
import { confusionFile } from '../../../src/io/run-folder';
import { escapeMarkup, markdownCell } from '../../../src/core/markup';

test('CSV fields are quoted as RFC 4180 asks and read back unchanged', () => {
  expect(csvField('plain')).toBe('plain');
  expect(csvField('a,b')).toBe('"a,b"');
  expect(csvField('say "hi"')).toBe('"say ""hi"""');
  expect(csvField('two\nlines')).toBe('"two\nlines"');
  expect(csvField(3)).toBe('3');
  expect(csvField(0.5)).toBe('0.500000');
  const rows = [['path', 'label'], ['Beta, the "Elder"/a b.png', 'x\ny'], ['', ' lead']];
  expect(parseCsv(csvText(rows))).toEqual(rows);
});

test('CSV numbers: 6 decimals by default, the exact shortest form on request; blanks for missing values', () => {
  expect(csvText([[1 / 3, 2, true, null, undefined]])).toBe('0.333333,2,true,,\n');
  expect(csvText([[1 / 3, 2]], { numbers: 'full' })).toBe(`${String(1 / 3)},2\n`);
  expect(Number(parseCsv(csvText([[0.1 + 0.2]], { numbers: 'full' }))[0]?.[0])).toBe(0.1 + 0.2);
});

test('markup and Markdown cells are escaped', () => {
  expect(escapeMarkup(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;');
  expect(markdownCell('a|b')).toBe('a\\|b');
});

test('confusion.csv has predicted classes across and true classes down', () => {
  const text = confusionFile.text({ labels: ['a', 'b,c'], matrix: [[1, 2], [3, 4]] });
  expect(text).toBe('true\\pred,a,"b,c"\na,1,2\n"b,c",3,4\n');
});

test('the heat map names every class, shows non-zero counts and escapes markup', () => {
  const svg = confusionSvg([[5, 0], [12, 7]], ['Tom & Jerry', '<Anon>']);
  expect(svg).toContain('Tom &amp; Jerry');
  expect(svg).toContain('&lt;Anon&gt;');
  expect(svg).not.toContain('<Anon>');
  const counts = [...svg.matchAll(/>(\d+)<\/text>/g)].map((m) => Number(m[1]));
  expect(counts.sort((a, b) => a - b)).toEqual([5, 7, 12]);
});
