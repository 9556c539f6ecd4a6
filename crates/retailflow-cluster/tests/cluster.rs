//! A scheduler and two executors on 127.0.0.1, in this process, run a plan that uses retailflow's
//! functions with what they carry (the value rules, a day/month date format, a catalog): the rows
//! are those of the same plan run locally.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use ballista::extension::SessionConfigExt;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::physical_plan::displayable;
use datafusion::prelude::{CsvReadOptions, SessionConfig, SessionContext, col, ident};
use retailflow_batch::cast::{CastFunctions, ColumnKind};
use retailflow_batch::catalog::Catalog;
use retailflow_batch::dates::DateFormat;
use retailflow_batch::repair::RepairFunctions;
use retailflow_cluster::{
    ClusterError, ExecutorOptions, JobState, bind_scheduler, cluster_jobs, current_job,
    remote_context, run_executor, run_scheduler,
};
use retailflow_core::values::ValueRules;

const SALES: &str = "\
id,item,category,price_per_unit,quantity,transaction_date
1,Item_1_FOOD,Food,5.0,2,8/4/2024
2,,Food,5.0,1,9/4/2024
3,,Milk,0.5,3,31/12/2023
4,Item_2_MILK,Milk,junk,4,1/1/2024
5,,Milk,7.5,9999,13/13/2024
";

/// The plan: casts under rules (quantity at most 100), dates read day first, items repaired from
/// the catalog; rows in id order, printed, with the top of the physical plan that ran them.
async fn rows(context: &SessionContext, path: &str) -> (String, String) {
    let names = [
        "id",
        "item",
        "category",
        "price_per_unit",
        "quantity",
        "transaction_date",
    ];
    let schema = Schema::new(
        names
            .iter()
            .map(|name| Field::new(*name, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let rules = ValueRules {
        max_quantity: 100,
        ..ValueRules::default()
    };
    let casts = CastFunctions::new(DateFormat::DaySlashMonth, rules);
    let catalog = Catalog::from_rows([
        ("Food".to_string(), "Item_1_FOOD".to_string(), 5.0),
        ("Milk".to_string(), "Item_2_MILK".to_string(), 0.5),
    ]);
    let repairs = RepairFunctions::new(Arc::new(catalog), rules);
    let frame = context
        .read_csv(path, CsvReadOptions::new().has_header(true).schema(&schema))
        .await
        .unwrap()
        .select(vec![
            ident("id"),
            repairs
                .item(
                    ident("item"),
                    ident("category"),
                    casts.cast_as("price_per_unit", ColumnKind::of("price_per_unit")),
                )
                .alias("item"),
            casts.cast("price_per_unit"),
            casts.cast("quantity"),
            casts.cast("transaction_date"),
        ])
        .unwrap()
        .sort(vec![col("id").sort(true, false)])
        .unwrap();
    let plan = frame.clone().create_physical_plan().await.unwrap();
    let top = displayable(plan.as_ref()).one_line().to_string();
    let batches = frame.collect().await.unwrap();
    (pretty_format_batches(&batches).unwrap().to_string(), top)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plan_with_retailflow_functions_gives_the_same_rows_on_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sales.csv");
    std::fs::write(&path, SALES).unwrap();
    let path = path.to_string_lossy().into_owned();

    let listener = bind_scheduler("127.0.0.1:0").await.unwrap();
    let scheduler = listener.local_addr().unwrap();
    tokio::spawn(run_scheduler(listener));
    for n in 0..2 {
        let options = ExecutorOptions {
            scheduler: scheduler.to_string(),
            bind: format!("127.0.0.1:{}", free_port()),
            work_dir: Some(dir.path().join(format!("executor-{n}"))),
            cores: Some(2),
        };
        std::fs::create_dir_all(options.work_dir.as_ref().unwrap()).unwrap();
        tokio::spawn(async move { run_executor(&options).await });
    }

    let (local, local_plan) = rows(&SessionContext::new(), &path).await;
    let url = format!("df://{scheduler}");
    let remote = remote_context(
        &url,
        SessionConfig::new()
            .with_target_partitions(2)
            .with_ballista_job_name("retailflow rows"),
    )
    .await
    .unwrap();
    let (on_cluster, cluster_plan) =
        tokio::time::timeout(std::time::Duration::from_secs(120), rows(&remote, &path))
            .await
            .expect("the cluster answered within two minutes");
    assert_eq!(on_cluster, local);
    assert!(
        cluster_plan.starts_with("DistributedQueryExec"),
        "{cluster_plan}"
    );
    assert!(
        !local_plan.starts_with("DistributedQueryExec"),
        "{local_plan}"
    );
    // The catalog filled rows 2 and 3, the day-first dates parsed, the rules nulled 9999 units.
    assert!(local.contains("| 2  | Item_1_FOOD |"), "{local}");
    assert!(local.contains("| 3  | Item_2_MILK | 0.5"), "{local}");
    assert!(local.contains("2023-12-31"), "{local}");
    assert!(!local.contains("9999"), "{local}");

    // The scheduler's job status names the job and counts its stages, all done.
    let jobs = cluster_jobs(&url).await.unwrap();
    let ours: Vec<_> = jobs
        .iter()
        .filter(|job| job.name == "retailflow rows")
        .collect();
    assert!(!ours.is_empty(), "{jobs:?}");
    for job in ours {
        assert_eq!(job.state, JobState::Completed, "{job:?}");
        assert!(job.stages >= 1, "{job:?}");
        assert_eq!(job.stages_done, job.stages, "{job:?}");
    }
    assert_eq!(current_job(&jobs, "retailflow rows"), None);
}

#[tokio::test]
async fn addresses_that_cannot_be_used_are_the_users_fault() {
    for url in ["localhost:50050", "df://localhost", "http://x:1"] {
        let Err(error) = remote_context(url, SessionConfig::new()).await else {
            panic!("{url} accepted");
        };
        assert!(
            matches!(error, ClusterError::InvalidAddress { .. }),
            "{url}"
        );
        assert_eq!(error.fault(), retailflow_batch::Fault::UserInput);
    }
    let error = bind_scheduler("nowhere").await.unwrap_err();
    assert!(matches!(error, ClusterError::InvalidAddress { .. }));
}
