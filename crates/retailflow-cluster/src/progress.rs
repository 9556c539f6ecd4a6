//! Where a cluster's jobs stand, from the scheduler's own job status (`GET /api/jobs`, served on
//! the scheduler's port beside its gRPC service): stages done of stages planned, per job. A client
//! shows its progress from this, not from its own I/O, which on a cluster is only plans and results.

use ballista_api_types::dto::JobResponse;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::client::scheduler_address;
use crate::error::ClusterError;

/// The path of the scheduler's job list.
const JOBS_PATH: &str = "/api/jobs";

/// What a job is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for the scheduler to plan it.
    Queued,
    /// Its stages are running.
    Running,
    /// Done, its results written.
    Completed,
    /// Stopped by an error.
    Failed,
    /// A state this client does not know.
    Unknown,
}

impl JobState {
    fn from_status(status: &str) -> Self {
        match status {
            "Queued" => JobState::Queued,
            "Running" => JobState::Running,
            "Completed" => JobState::Completed,
            "Failed" => JobState::Failed,
            _ => JobState::Unknown,
        }
    }
}

/// Where one job of the cluster stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobProgress {
    /// The scheduler's id of the job.
    pub id: String,
    /// The name the client gave its session's jobs.
    pub name: String,
    /// What the job is doing.
    pub state: JobState,
    /// Stages planned (0 until the job is planned).
    pub stages: usize,
    /// Stages done.
    pub stages_done: usize,
    /// When the job started, in milliseconds since the Unix epoch (0 while queued).
    pub started_ms: u64,
}

impl From<JobResponse> for JobProgress {
    fn from(job: JobResponse) -> Self {
        JobProgress {
            state: JobState::from_status(&job.status),
            id: job.job_id,
            name: job.job_name,
            stages: job.num_stages,
            stages_done: job.completed_stages,
            started_ms: job.start_time,
        }
    }
}

/// The jobs the scheduler at `url` (`df://HOST:PORT`) knows, from its job status.
pub async fn cluster_jobs(url: &str) -> Result<Vec<JobProgress>, ClusterError> {
    let (host, port) = scheduler_address(url)?;
    let failed = |reason: String| ClusterError::Unreachable {
        url: url.to_string(),
        reason: format!("job status: {reason}"),
    };
    let stream = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| failed(e.to_string()))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| failed(e.to_string()))?;
    let connection = tokio::spawn(connection);
    let request = hyper::Request::get(JOBS_PATH)
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .body(Empty::<Bytes>::new())
        .map_err(|e| failed(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| failed(e.to_string()))?
        .to_bytes();
    connection.abort();
    if !status.is_success() {
        return Err(failed(format!("{JOBS_PATH} answered {status}")));
    }
    let jobs: Vec<JobResponse> =
        serde_json::from_slice(&body).map_err(|e| failed(format!("{JOBS_PATH}: {e}")))?;
    Ok(jobs.into_iter().map(JobProgress::from).collect())
}

/// Of `jobs`, the one named `name` that started last and is not done, if any.
pub fn current_job<'a>(jobs: &'a [JobProgress], name: &str) -> Option<&'a JobProgress> {
    jobs.iter()
        .filter(|job| job.name == name)
        .filter(|job| match job.state {
            JobState::Queued | JobState::Running => true,
            JobState::Completed | JobState::Failed | JobState::Unknown => false,
        })
        .max_by_key(|job| job.started_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedulers_job_list_reads_as_progress() {
        let json = r#"[
            {"job_id":"a1","job_name":"clean x","job_status":"Completed in 1s","status":"Completed",
             "num_stages":2,"completed_stages":2,"percent_complete":100,"start_time":10,"end_time":11},
            {"job_id":"b2","job_name":"clean x","job_status":"Running","status":"Running",
             "num_stages":3,"completed_stages":1,"percent_complete":33,"start_time":20,"end_time":0},
            {"job_id":"c3","job_name":"other","job_status":"Running","status":"Running",
             "num_stages":1,"completed_stages":0,"percent_complete":0,"start_time":30,"end_time":0}
        ]"#;
        let jobs: Vec<JobProgress> = serde_json::from_str::<Vec<JobResponse>>(json)
            .unwrap()
            .into_iter()
            .map(JobProgress::from)
            .collect();
        assert_eq!(jobs[0].state, JobState::Completed);
        assert_eq!(
            current_job(&jobs, "clean x"),
            Some(&JobProgress {
                id: "b2".into(),
                name: "clean x".into(),
                state: JobState::Running,
                stages: 3,
                stages_done: 1,
                started_ms: 20,
            })
        );
        assert_eq!(current_job(&jobs, "nobody"), None);
    }
}
