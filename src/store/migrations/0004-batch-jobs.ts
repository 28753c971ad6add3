import type { Knex } from 'knex';

/**
 * The jobs of the IMS-compatible batch sharing API (src/batch): one row per batch call, with the
 * request it runs (so that any instance can finish it after a crash), its per-pair results, and
 * the client's Idempotency-Key, unique per project (NULLs do not collide on either engine).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('batch_jobs', (t) => {
    t.string('id', 32).primary();
    t.string('project_id', 255).notNullable();
    t.string('job_type', 40).notNullable();
    t.string('status', 10).notNullable();
    // The caller (project, user, roles) and the body, as JSON: what a recovering instance re-runs.
    t.text('caller').notNullable();
    t.text('request').notNullable();
    t.text('results').nullable();
    t.string('error_code', 20).nullable();
    t.text('fail_reason').nullable();
    t.string('idempotency_key', 255).nullable();
    t.string('begin_time', 32).notNullable();
    t.string('end_time', 32).nullable();
    // The lease of the instance running the job: refreshed while it runs (services/job-recovery.ts).
    t.string('updated_at', 32).notNullable();
    t.unique(['project_id', 'idempotency_key'], { indexName: 'batch_jobs_project_key_idx' });
    t.index(['status', 'updated_at'], 'batch_jobs_status_updated_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('batch_jobs');
}
