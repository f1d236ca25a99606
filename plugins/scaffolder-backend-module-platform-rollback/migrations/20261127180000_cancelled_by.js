// @ts-check

/**
 * Who cancelled a run: the scaffolder does not record it, and the rollback
 * it starts should say who asked for it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('platform_runs', table => {
    table
      .text('cancelled_by')
      .nullable()
      .comment('The user or service that cancelled the run, if one did');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('platform_runs', table => {
    table.dropColumn('cancelled_by');
  });
};
