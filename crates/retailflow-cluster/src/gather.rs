//! How an executor runs a stage that gathers every part of the stage before it into one stream (the
//! single Parquet file of `clean`, a final aggregate): through one shuffle reader, not one per part.
//!
//! Ballista plans such a stage as `CoalescePartitionsExec` over a `ShuffleReaderExec` with one
//! partition per upstream part. `CoalescePartitionsExec` runs all of them at once, and each reader
//! partition fetches its remote part whole into memory, with its own in-flight budget: on a 10M-row
//! job the executor writing the file held most of the data at once. Read by one reader partition,
//! the parts come one after another: local files are streamed in turn, and remote fetches share one
//! budget (`ballista.shuffle.reader.max_bytes_in_flight`). The rows are the same; their order is no
//! more fixed than it was.

use std::sync::Arc;

use ballista_core::JobId;
use ballista_core::client_pool::BallistaClientPool;
use ballista_core::execution_plans::ShuffleReaderExec;
use ballista_executor::execution_engine::{
    DefaultExecutionEngine, ExecutionEngine, QueryStageExecutor,
};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, ExecutionPlan, Partitioning, ReplaceChildrenOptions,
};
use datafusion::prelude::SessionConfig;

/// Ballista's execution engine, with gathering stages reading their parts through one reader.
pub(crate) struct GatherThroughOneReader {
    inner: DefaultExecutionEngine,
}

impl GatherThroughOneReader {
    /// The engine, fetching remote parts over the connections of `connections`.
    pub(crate) fn new(connections: Arc<dyn BallistaClientPool>) -> Self {
        GatherThroughOneReader {
            inner: DefaultExecutionEngine::with_client_pool(connections),
        }
    }
}

impl ExecutionEngine for GatherThroughOneReader {
    fn create_query_stage_exec(
        &self,
        job_id: JobId,
        stage_id: usize,
        task_id: usize,
        global_output_partition_ids: Vec<usize>,
        plan: Arc<dyn ExecutionPlan>,
        work_dir: &str,
        config: &SessionConfig,
    ) -> Result<Arc<dyn QueryStageExecutor>> {
        self.inner.create_query_stage_exec(
            job_id,
            stage_id,
            task_id,
            global_output_partition_ids,
            one_reader_per_gather(plan)?,
            work_dir,
            config,
        )
    }
}

/// `plan` with each `CoalescePartitionsExec` over a multi-partition shuffle reader reading through a
/// single reader partition that holds every part's locations.
pub(crate) fn one_reader_per_gather(
    plan: Arc<dyn ExecutionPlan>,
) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        let Some(gather) = node.downcast_ref::<CoalescePartitionsExec>() else {
            return Ok(Transformed::no(node));
        };
        let Some(reader) = gather.input().downcast_ref::<ShuffleReaderExec>() else {
            return Ok(Transformed::no(node));
        };
        if reader.partition.len() < 2 || reader.broadcast || reader.coalesce.is_some() {
            return Ok(Transformed::no(node));
        }
        let one = ShuffleReaderExec::try_new(
            reader.stage_id,
            vec![reader.partition.concat()],
            reader.schema(),
            Partitioning::UnknownPartitioning(1),
        )?;
        let gather = Arc::clone(&node).replace_children(
            vec![Arc::new(one)],
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )?;
        Ok(Transformed::yes(gather))
    })
    .map(|transformed| transformed.data)
}

#[cfg(test)]
mod tests {
    use ballista_core::serde::scheduler::{
        ExecutorMetadata, ExecutorSpecification, PartitionId, PartitionLocation, PartitionStats,
    };
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::physical_plan::ExecutionPlanProperties;
    use datafusion::physical_plan::empty::EmptyExec;

    use super::*;

    fn part(map_partition_id: usize, executor: &str) -> PartitionLocation {
        PartitionLocation {
            map_partition_id,
            partition_id: PartitionId::new(&JobId::new("job"), 1, map_partition_id),
            executor_meta: ExecutorMetadata {
                id: executor.to_string(),
                host: "127.0.0.1".to_string(),
                port: 50051,
                grpc_port: 50052,
                specification: ExecutorSpecification::default(),
                os_info: Default::default(),
            },
            partition_stats: PartitionStats::default(),
            file_id: None,
            is_sort_shuffle: false,
        }
    }

    fn reader(parts: Vec<Vec<PartitionLocation>>) -> Arc<dyn ExecutionPlan> {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Utf8, true)]));
        let partitions = parts.len();
        Arc::new(
            ShuffleReaderExec::try_new(
                1,
                parts,
                schema,
                Partitioning::UnknownPartitioning(partitions),
            )
            .unwrap(),
        )
    }

    fn locations(plan: &Arc<dyn ExecutionPlan>) -> Vec<Vec<(usize, String)>> {
        let reader = plan.children()[0]
            .downcast_ref::<ShuffleReaderExec>()
            .unwrap();
        reader
            .partition
            .iter()
            .map(|locations| {
                locations
                    .iter()
                    .map(|l| (l.map_partition_id, l.executor_meta.id.clone()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_gather_over_three_parts_reads_them_through_one_reader_partition() {
        let parts = vec![vec![part(0, "a")], vec![part(1, "b")], vec![part(2, "a")]];
        let plan = Arc::new(CoalescePartitionsExec::new(reader(parts))) as Arc<dyn ExecutionPlan>;
        let plan = one_reader_per_gather(plan).unwrap();
        assert_eq!(plan.output_partitioning().partition_count(), 1);
        assert_eq!(
            plan.children()[0].output_partitioning().partition_count(),
            1
        );
        assert_eq!(
            locations(&plan),
            vec![vec![
                (0, "a".to_string()),
                (1, "b".to_string()),
                (2, "a".to_string())
            ]]
        );
    }

    #[test]
    fn readers_not_under_a_gather_and_other_plans_are_left_alone() {
        let parts = vec![vec![part(0, "a")], vec![part(1, "b")]];
        let plan = reader(parts);
        let kept = one_reader_per_gather(Arc::clone(&plan)).unwrap();
        assert!(Arc::ptr_eq(&plan, &kept));

        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Utf8, true)]));
        let scan = Arc::new(CoalescePartitionsExec::new(Arc::new(EmptyExec::new(
            schema,
        )))) as Arc<dyn ExecutionPlan>;
        let kept = one_reader_per_gather(Arc::clone(&scan)).unwrap();
        assert!(Arc::ptr_eq(&scan, &kept));

        let single = Arc::new(CoalescePartitionsExec::new(reader(vec![vec![
            part(0, "a"),
            part(1, "b"),
        ]]))) as Arc<dyn ExecutionPlan>;
        let kept = one_reader_per_gather(Arc::clone(&single)).unwrap();
        assert!(Arc::ptr_eq(&single, &kept));
    }
}
