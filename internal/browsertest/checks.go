package browsertest

import (
	"context"
	"fmt"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"
)

// overflowJS lists what sticks out: the document wider than the window, an element
// reaching past the window's left or right edge, an element whose content is wider than
// its box (a word that did not break, a cell that spills), and an SVG label cut off at
// its chart's edge.
const overflowJS = `(() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.classList && el.classList.length) s += '.' + [...el.classList].join('.');
    const t = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50);
    return t ? s + ' "' + t + '"' : s;
  };
  const sw = document.documentElement.scrollWidth;
  if (sw > vw) out.push('the document is ' + sw + 'px wide in a ' + vw + 'px window');
  for (const el of document.body.querySelectorAll('*')) {
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > vw + 0.5 || r.left < -0.5) {
      out.push(name(el) + ' spans ' + Math.round(r.left) + '…' + Math.round(r.right) + 'px of a ' + vw + 'px window');
      continue;
    }
    const svg = el.ownerSVGElement;
    if (svg) {
      if (el.tagName.toLowerCase() !== 'text') continue;
      const box = svg.getBoundingClientRect();
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
        out.push(name(el) + ' is cut off by its chart (' + Math.round(r.left - box.left) + '…' + Math.round(r.right - box.left) + ' of ' + Math.round(box.width) + 'px)');
      continue;
    }
    if (cs.display.startsWith('inline') && cs.display !== 'inline-block') continue;
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
      out.push(name(el) + ' holds content ' + el.scrollWidth + 'px wide in a ' + el.clientWidth + 'px box');
  }
  return out;
})()`

// Overflow lists everything on the page wider than its place: the document wider than
// the window (a horizontal scroll bar, text cut off on paper), any element past the
// window's edges, any element whose content spills out of its box, and any chart label
// cut off at its chart's edge. An empty list is a page that fits.
func (p *Page) Overflow() ([]string, error) {
	return Eval[[]string](p, overflowJS)
}

// boxesJS finds the characters drawn as a box. Every character of the page's visible
// text is drawn on a canvas in the font its element uses (family, weight and style, as
// the page resolves them, fallback fonts included) and compared pixel for pixel with the
// drawing of U+0378, a code point no font maps, which is drawn as the missing-glyph box
// (.notdef) of the same font. A character that draws the same pixels has no glyph in
// any font the browser can use. The reference must draw something, or the check itself
// is broken and says so.
const boxesJS = `(() => {
  const REF = '\u0378';
  const N = 48;
  const canvas = document.createElement('canvas');
  canvas.width = N; canvas.height = N;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const draw = (font, ch) => {
    g.clearRect(0, 0, N, N);
    g.font = font;
    g.textBaseline = 'top';
    g.fillStyle = '#000';
    g.fillText(ch, 4, 4);
    return g.getImageData(0, 0, N, N).data;
  };
  const same = (a, b) => { for (let i = 3; i < a.length; i += 4) if (a[i] !== b[i]) return false; return true; };
  const blank = (a) => { for (let i = 3; i < a.length; i += 4) if (a[i] !== 0) return false; return true; };
  const byFont = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('title, style, script')) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const font = cs.fontStyle + ' ' + cs.fontWeight + ' 32px ' + cs.fontFamily;
    let chars = byFont.get(font);
    if (!chars) { chars = new Map(); byFont.set(font, chars); }
    for (const ch of n.data) {
      if (/\s/u.test(ch) || /\p{Cc}|\p{Cf}/u.test(ch)) continue;
      if (!chars.has(ch)) chars.set(ch, el);
    }
  }
  const out = { checked: 0, missing: [], broken: [] };
  for (const [font, chars] of byFont) {
    const ref = draw(font, REF);
    if (blank(ref)) { out.broken.push(font); continue; }
    for (const [ch, el] of chars) {
      out.checked++;
      if (same(draw(font, ch), ref)) {
        const cp = 'U+' + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
        const t = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
        out.missing.push(cp + ' "' + ch + '" in <' + el.tagName.toLowerCase() + '> "' + t + '" (' + font + ')');
      }
    }
  }
  return out;
})()`

// Boxes lists the characters of the page's text that are drawn as boxes (tofu) because
// no font the browser can use has a glyph for them, and how many distinct characters
// (per font) it checked. It fails when the check cannot tell a box from a glyph on this
// page (the missing-glyph reference drew nothing).
func (p *Page) Boxes() (missing []string, checked int, err error) {
	res, err := Eval[struct {
		Checked int      `json:"checked"`
		Missing []string `json:"missing"`
		Broken  []string `json:"broken"`
	}](p, boxesJS)
	if err != nil {
		return nil, 0, err
	}
	if len(res.Broken) > 0 {
		return nil, res.Checked, fmt.Errorf("the missing-glyph reference draws nothing in %s: the check cannot see boxes", strings.Join(res.Broken, "; "))
	}
	return res.Missing, res.Checked, nil
}

// Fonts returns the platform fonts Chromium used to draw the text of the elements
// matching selector, with the number of glyphs each drew (CDP CSS.getPlatformFontsForNode):
// the fonts a reader actually sees, fallbacks included.
func (p *Page) Fonts(selector string) (map[string]float64, error) {
	out := map[string]float64{}
	err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, dom.Enable, dom.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, css.Enable, cdp.Empty{}); err != nil {
			return err
		}
		doc, err := cdp.Call(ctx, t, dom.GetDocument, dom.GetDocumentParams{})
		if err != nil {
			return err
		}
		nodes, err := cdp.Call(ctx, t, dom.QuerySelectorAll, dom.QuerySelectorAllParams{NodeID: doc.Root.NodeID, Selector: selector})
		if err != nil {
			return err
		}
		for _, id := range nodes.NodeIDs {
			res, err := cdp.Call(ctx, t, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: id})
			if err != nil {
				return err
			}
			for _, f := range res.Fonts {
				out[f.FamilyName] += f.GlyphCount
			}
		}
		return nil
	}))
	return out, err
}
