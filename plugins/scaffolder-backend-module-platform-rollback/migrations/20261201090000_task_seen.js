// @ts-check

/**
 * Whether the engine has read a run's task in full. Who started it, from
 * which template and when never change, so the engine copies them once and
 * from then on reads only the status, which it can read for every run in one
 * query.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('platform_runs', table => {
    table
      .dateTime('task_seen_at')
      .nullable()
      .comment(
        'When the engine copied template, creator and creation time from the task',
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('platform_runs', table => {
    table.dropColumn('task_seen_at');
  });
};
