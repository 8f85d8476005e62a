/**
 * The documented shape of Statuspage's public v2 API: an example `summary.json` with every field
 * Statuspage documents for its page, components (and groups), incidents, incident updates and
 * scheduled maintenances (values made up here; field names, nesting, types and enumerations as
 * documented), and the documented enumerations. status/statuspage-json.test.ts compares failsmall's
 * documents to it field by field.
 */

/** Documented values of each enumerated field. */
export const documentedEnums = {
  componentStatus: ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'],
  incidentStatus: ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'],
  incidentImpact: ['none', 'minor', 'major', 'critical', 'maintenance'],
  maintenanceStatus: ['scheduled', 'in_progress', 'verifying', 'completed'],
  indicator: ['none', 'minor', 'major', 'critical', 'maintenance'],
} as const;

const component = {
  id: 'b13yz5g2cw10',
  name: 'API',
  status: 'partial_outage',
  created_at: '2014-05-03T01:22:07.274Z',
  updated_at: '2014-05-14T20:34:43.340Z',
  position: 1,
  description: 'string or null',
  showcase: false,
  start_date: 'string or null',
  group_id: 'string or null',
  page_id: 'y2j98763l56x',
  group: false,
  only_show_if_degraded: false,
};

const incidentUpdate = {
  id: 'xxxxxxxxxxxx',
  status: 'identified',
  body: 'We have identified the issue.',
  incident_id: 'cp306tmzcl0y',
  created_at: '2014-05-14T14:22:40.301Z',
  updated_at: '2014-05-14T14:22:40.301Z',
  display_at: '2014-05-14T14:22:40.301Z',
  affected_components: [{ code: 'b13yz5g2cw10', name: 'API', old_status: 'operational', new_status: 'partial_outage' }],
  deliver_notifications: true,
  custom_tweet: 'string or null',
  tweet_id: 'string or null',
};

const incident = {
  id: 'cp306tmzcl0y',
  name: 'Unplanned Database Outage',
  status: 'identified',
  created_at: '2014-05-14T14:22:39.441Z',
  updated_at: '2014-05-14T14:35:21.711Z',
  monitoring_at: 'string or null',
  resolved_at: 'string or null',
  impact: 'critical',
  shortlink: 'http://stspg.co:5000/Q0E',
  started_at: '2014-05-14T14:22:39.441Z',
  page_id: 'y2j98763l56x',
  incident_updates: [incidentUpdate],
  components: [component],
};

/** An example `summary.json` in the documented shape. */
export const documentedSummary = {
  page: {
    id: 'y2j98763l56x',
    name: 'Example',
    url: 'https://status.example.com',
    time_zone: 'Etc/UTC',
    updated_at: '2014-05-14T14:35:21.711Z',
  },
  components: [component, { ...component, id: 'g1', group: true, group_id: null, components: ['b13yz5g2cw10'] }],
  incidents: [incident],
  scheduled_maintenances: [
    {
      ...incident,
      id: 'w1zdr745wmfy',
      status: 'scheduled',
      impact: 'maintenance',
      scheduled_for: '2014-05-17T22:00:00.000Z',
      scheduled_until: '2014-05-17T23:00:00.000Z',
    },
  ],
  status: { indicator: 'major', description: 'Partial System Outage' },
};

/** Fields that may be null besides holding a value of the documented type. */
export const nullableFields = new Set([
  'description',
  'start_date',
  'group_id',
  'monitoring_at',
  'resolved_at',
  'custom_tweet',
  'tweet_id',
  'affected_components',
]);
