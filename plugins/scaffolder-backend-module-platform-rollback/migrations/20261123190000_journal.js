// @ts-check

/**
 * The rollback journal of platform actions. It lives in the scaffolder's
 * database beside the scaffolder's own tables, so every name is prefixed
 * `platform_` and the migrations are tracked in their own table.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('platform_runs', table => {
    table.comment('Scaffolder tasks that used platform actions');
    table.string('task_id', 64).primary().notNullable();
    table
      .string('status', 32)
      .notNullable()
      .defaultTo('processing')
      .comment('The last scaffolder task status the rollback engine saw');
    table.text('template_ref').nullable();
    table.text('created_by').nullable();
    table
      .boolean('settled')
      .notNullable()
      .defaultTo(false)
      .comment('True once nothing is left for the engine to do for this run');
    table
      .string('lease_owner', 64)
      .nullable()
      .comment('The engine instance that is rolling this run back');
    table.dateTime('lease_until').nullable();
    table.dateTime('created_at').notNullable().defaultTo(knex.fn.now());
    table.dateTime('updated_at').notNullable().defaultTo(knex.fn.now());
    table.index(['settled'], 'platform_runs_settled_idx');
  });

  await knex.schema.createTable('platform_journal', table => {
    table.comment('Resources platform actions created, newest last');
    table.bigIncrements('seq').primary().comment('Creation order');
    table.string('id', 64).notNullable().unique();
    table.string('task_id', 64).notNullable();
    table.string('step_id', 255).notNullable();
    table.string('kind', 128).notNullable();
    table.string('identity', 512).notNullable();
    table.text('url').nullable();
    table.string('state', 32).notNullable();
    table.text('reason').nullable();
    table.text('data').notNullable().comment('JSON facts proving ownership');
    table.dateTime('created_at').notNullable().defaultTo(knex.fn.now());
    table.dateTime('updated_at').notNullable().defaultTo(knex.fn.now());
    table.unique(['task_id', 'step_id', 'kind', 'identity'], {
      indexName: 'platform_journal_intent_uniq',
    });
    table.index(['task_id'], 'platform_journal_task_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('platform_journal');
  await knex.schema.dropTable('platform_runs');
};
