// Kept where callers found it; the generation lives in @tongban/config beside the profile that allows it.
export { localSecret, secretsDir } from '@tongban/config';
