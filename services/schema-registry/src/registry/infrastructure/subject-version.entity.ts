import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A schema registered under a subject as one version; `deleted` marks a soft delete. */
@Entity({ name: 'subject_versions' })
export class SubjectVersionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  @Column({ type: 'int' })
  version!: number;

  @Column({ name: 'schema_id', type: 'int' })
  schemaId!: number;

  @Column({ type: 'boolean' })
  deleted!: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
