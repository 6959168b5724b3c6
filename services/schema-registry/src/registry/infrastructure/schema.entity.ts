import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One distinct schema; its id is the global id on the wire and never changes or gets reused. */
@Entity({ name: 'schemas' })
export class SchemaEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ name: 'schema_type', type: 'varchar', length: 16 })
  schemaType!: string;

  /** The schema as first submitted (whitespace removed). */
  @Column({ name: 'schema_text', type: 'mediumtext' })
  schemaText!: string;

  /** Normalized form, the identity of the schema. */
  @Column({ name: 'canonical_text', type: 'mediumtext' })
  canonicalText!: string;

  /** SHA-256 of canonical_text; unique, so two replicas cannot give one schema two ids. */
  @Column({ type: 'char', length: 64 })
  fingerprint!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
