/** Terminal formatting for the demo: colours only when the output is a terminal. */
const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);

export const bold = paint(1);
export const dim = paint(2);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const cyan = paint(36);

export const REGION_NAMES: Record<string, string> = {
  '510000': '四川 Sichuan',
  '510100': '成都 Chengdu',
  '510104': '成都锦江 Chengdu-Jinjiang',
  '512021': '安岳 Anyue',
  '500000': '重庆 Chongqing',
  '500111': '大足 Dazu',
  '500107': '九龙坡 Jiulongpo',
  '500106': '沙坪坝 Shapingba',
};

export function region(code: string): string {
  return `${REGION_NAMES[code] ?? code} ${dim(code)}`;
}

/** Surname kept, the rest masked, as operators see names. */
export function maskName(name: string): string {
  return name.length <= 1 ? name : `${name[0]}*`;
}

export function maskId(id: string): string {
  return id.length === 18 ? `${id.slice(0, 6)}********${id.slice(14)}` : id;
}
