/**
 * X11 keysyms (what RFB KeyEvent carries) and XT set-1 scancodes (what QEMU's extended key event carries,
 * so combos reach the guest as physical keys whatever its layout). Extended scancodes (E0 xx) are encoded
 * as 0x80 | xx, as the QEMU extension specifies.
 */
export interface KeyCode {
  keysym: number;
  /** XT scancode, when the key has one in the table below. */
  scancode?: number;
}

const NAMED: Record<string, [number, number?]> = {
  return: [0xff0d, 0x1c],
  enter: [0xff0d, 0x1c],
  tab: [0xff09, 0x0f],
  escape: [0xff1b, 0x01],
  esc: [0xff1b, 0x01],
  backspace: [0xff08, 0x0e],
  delete: [0xffff, 0xd3],
  del: [0xffff, 0xd3],
  insert: [0xff63, 0xd2],
  home: [0xff50, 0xc7],
  end: [0xff57, 0xcf],
  page_up: [0xff55, 0xc9],
  pageup: [0xff55, 0xc9],
  prior: [0xff55, 0xc9],
  page_down: [0xff56, 0xd1],
  pagedown: [0xff56, 0xd1],
  next: [0xff56, 0xd1],
  up: [0xff52, 0xc8],
  down: [0xff54, 0xd0],
  left: [0xff51, 0xcb],
  right: [0xff53, 0xcd],
  space: [0x20, 0x39],
  menu: [0xff67, 0xdd],
  print: [0xff61, 0xb7],
  pause: [0xff13],
  caps_lock: [0xffe5, 0x3a],
  num_lock: [0xff7f, 0x45],
  scroll_lock: [0xff14, 0x46],
  kp_enter: [0xff8d, 0x9c],
  shift: [0xffe1, 0x2a],
  shift_l: [0xffe1, 0x2a],
  shift_r: [0xffe2, 0x36],
  ctrl: [0xffe3, 0x1d],
  control: [0xffe3, 0x1d],
  control_l: [0xffe3, 0x1d],
  ctrl_l: [0xffe3, 0x1d],
  control_r: [0xffe4, 0x9d],
  ctrl_r: [0xffe4, 0x9d],
  alt: [0xffe9, 0x38],
  alt_l: [0xffe9, 0x38],
  alt_r: [0xffea, 0xb8],
  option: [0xffe9, 0x38],
  super: [0xffeb, 0xdb],
  super_l: [0xffeb, 0xdb],
  super_r: [0xffec, 0xdc],
  win: [0xffeb, 0xdb],
  windows: [0xffeb, 0xdb],
  meta: [0xffeb, 0xdb],
  cmd: [0xffeb, 0xdb],
  command: [0xffeb, 0xdb],
  minus: [0x2d, 0x0c],
  equal: [0x3d, 0x0d],
  plus: [0x2b],
  comma: [0x2c, 0x33],
  period: [0x2e, 0x34],
  slash: [0x2f, 0x35],
  backslash: [0x5c, 0x2b],
  semicolon: [0x3b, 0x27],
  apostrophe: [0x27, 0x28],
  grave: [0x60, 0x29],
  bracketleft: [0x5b, 0x1a],
  bracketright: [0x5d, 0x1b],
};
for (let i = 1; i <= 12; i++) NAMED[`f${i}`] = [0xffbe + i - 1, i <= 10 ? 0x3a + i : 0x56 + i - 10];

/** Scancodes of unshifted printable characters on a US layout. */
const CHAR_SCANCODES: Record<string, number> = {
  '`': 0x29, '-': 0x0c, '=': 0x0d, '[': 0x1a, ']': 0x1b, '\\': 0x2b, ';': 0x27, "'": 0x28, ',': 0x33, '.': 0x34,
  '/': 0x35, ' ': 0x39,
};
'1234567890'.split('').forEach((c, i) => (CHAR_SCANCODES[c] = 0x02 + i));
'qwertyuiop'.split('').forEach((c, i) => (CHAR_SCANCODES[c] = 0x10 + i));
'asdfghjkl'.split('').forEach((c, i) => (CHAR_SCANCODES[c] = 0x1e + i));
'zxcvbnm'.split('').forEach((c, i) => (CHAR_SCANCODES[c] = 0x2c + i));

/** Modifier keysyms, so a combo's keys are pressed in order and released in reverse. */
export const MODIFIER_KEYSYMS = new Set([0xffe1, 0xffe2, 0xffe3, 0xffe4, 0xffe9, 0xffea, 0xffeb, 0xffec]);

/**
 * The keysym typing `ch` produces: printable ASCII and Latin-1 map to themselves (X11 defines them so);
 * newline and tab to Return and Tab. Null for anything else (no portable keysym through a server's keymap).
 */
export function charToKeysym(ch: string): number | null {
  const cp = ch.codePointAt(0) ?? -1;
  if (ch === '\n' || ch === '\r') return 0xff0d;
  if (ch === '\t') return 0xff09;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return null;
}

const US_SHIFTED = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZ~!@#$%^&*()_+{}|:"<>?');

/**
 * True for characters typed with Shift on a US layout. QEMU maps a keysym to a keycode without adding the
 * Shift the character needs (`A` would arrive as `a`), so typing holds Shift for these; Xvnc accepts both.
 */
export function needsShift(ch: string): boolean {
  return US_SHIFTED.has(ch);
}

/** One xdotool key name (`Return`, `ctrl`, `F4`, `a`, `Page_Down`), case-insensitive for names. */
export function keyNameToKeyCode(name: string): KeyCode | null {
  if ([...name].length === 1) {
    const keysym = charToKeysym(name);
    if (keysym === null) return null;
    const scancode = CHAR_SCANCODES[name];
    return scancode === undefined ? { keysym } : { keysym, scancode };
  }
  const named = NAMED[name.toLowerCase()];
  if (named) return named[1] === undefined ? { keysym: named[0] } : { keysym: named[0], scancode: named[1] };
  // xdotool also accepts raw keysym numbers (0xff0d).
  if (/^0x[0-9a-f]{1,8}$/i.test(name)) return { keysym: Number(name) };
  return null;
}

/**
 * Parses an xdotool key argument: space-separated combos, each `+`-joined (`ctrl+shift+Escape`,
 * `ctrl+a Delete`). A lone `+` is the plus key. Throws with the offending name.
 */
export function parseKeyCombos(text: string): KeyCode[][] {
  const combos = text.trim().split(/\s+/).filter(Boolean);
  if (combos.length === 0) throw new Error('no key given');
  return combos.map((combo) => {
    const names = combo === '+' ? ['+'] : combo.split(/\+(?!$)/).map((n) => (n === '' ? '+' : n));
    return names.map((n) => {
      const code = keyNameToKeyCode(n);
      if (!code) throw new Error(`unknown key name ${JSON.stringify(n)}`);
      return code;
    });
  });
}
