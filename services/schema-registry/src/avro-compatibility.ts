// libs/avro/src/index.ts does not export the compatibility module yet; once it does
// (`export * from './compatibility';`), import these names from '@tongban/avro' and delete this file.
export * from '../../../libs/avro/src/compatibility';
