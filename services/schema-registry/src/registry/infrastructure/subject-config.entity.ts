import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The global compatibility level is the row whose subject is the empty string. */
export const GLOBAL_CONFIG_SUBJECT = '';

@Entity({ name: 'subject_configs' })
export class SubjectConfigEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  subject!: string;

  @Column({ type: 'varchar', length: 32 })
  compatibility!: string;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
