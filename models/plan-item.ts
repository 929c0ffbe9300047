import { DataTypes, Model, type Sequelize } from 'sequelize';

export const REQUIREMENTS = ['none', 'checklist', 'document', 'both'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

export const CHECKLIST_ITEM_TYPES = ['check', 'yes_no_na', 'text', 'number'] as const;
export type ChecklistItemType = (typeof CHECKLIST_ITEM_TYPES)[number];

/** One line of a Plan Item's checklist definition; the array's order is the display order. */
export interface ChecklistItem {
  /** Stable within the item, so answers survive relabelling and reordering. */
  key: string;
  label: string;
  type: ChecklistItemType;
  required: boolean;
}

export const SCHEDULE_KINDS = ['calendar', 'relative'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

export const RELATIVE_UNITS = ['day', 'week', 'month', 'year'] as const;
export type RelativeUnit = (typeof RELATIVE_UNITS)[number];

/** What a calendar rule does in a month without its day (DESIGN.md §4). */
export const MONTH_END_POLICIES = ['last-day', 'skip'] as const;
export type MonthEndPolicy = (typeof MONTH_END_POLICIES)[number];

export const DEFAULT_LEAD_TIME_DAYS = 30;

/**
 * A recurring obligation of one facility that generates dated Events (DESIGN.md §3, §4).
 * Calendar items carry an RRULE (rrule); relative items carry relativeEvery + relativeUnit.
 * Dates (`DATEONLY`) read and write as 'YYYY-MM-DD' strings: calendar days in the facility's zone.
 */
export class PlanItem extends Model {
  declare id: string;
  declare clientId: string;
  /** Must be a facility (a foreign key on the unit's kind enforces it). */
  declare facilityId: string;
  declare activity: string;
  declare description: string | null;
  declare additionalInformation: string | null;
  declare regulatoryReference: string | null;
  declare category: string | null;
  declare assigneeId: string;
  declare requirement: Requirement;
  declare checklist: ChecklistItem[];
  declare scheduleKind: ScheduleKind;
  /** RFC 5545 RRULE subset, calendar items only. */
  declare rrule: string | null;
  declare relativeEvery: number | null;
  declare relativeUnit: RelativeUnit | null;
  declare scheduleStart: string;
  declare monthEndPolicy: MonthEndPolicy;
  declare nextDueDate: string | null;
  declare leadTimeDays: number;
  /** Days before the due date; null means the client's defaults. */
  declare reminderOffsets: number[] | null;
  /** False: deactivated ("does not schedule events"). */
  declare schedulesEvents: boolean;
  /** No occurrence before this date is generated (set when the item resumes after a pause). */
  declare generateFrom: string | null;
  declare hidden: boolean;
  declare createdBy: string | null;
  declare updatedBy: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;

  static initModel(sequelize: Sequelize): void {
    PlanItem.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        clientId: { type: DataTypes.UUID, allowNull: false },
        facilityId: { type: DataTypes.UUID, allowNull: false },
        activity: { type: DataTypes.TEXT, allowNull: false },
        description: { type: DataTypes.TEXT },
        additionalInformation: { type: DataTypes.TEXT },
        regulatoryReference: { type: DataTypes.TEXT },
        category: { type: DataTypes.TEXT },
        assigneeId: { type: DataTypes.UUID, allowNull: false },
        requirement: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'none' },
        checklist: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
        scheduleKind: { type: DataTypes.TEXT, allowNull: false },
        rrule: { type: DataTypes.TEXT },
        relativeEvery: { type: DataTypes.INTEGER },
        relativeUnit: { type: DataTypes.TEXT },
        scheduleStart: { type: DataTypes.DATEONLY, allowNull: false },
        monthEndPolicy: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'last-day' },
        nextDueDate: { type: DataTypes.DATEONLY },
        leadTimeDays: { type: DataTypes.INTEGER, allowNull: false, defaultValue: DEFAULT_LEAD_TIME_DAYS },
        reminderOffsets: { type: DataTypes.ARRAY(DataTypes.INTEGER) },
        schedulesEvents: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        generateFrom: { type: DataTypes.DATEONLY },
        hidden: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        createdBy: { type: DataTypes.UUID },
        updatedBy: { type: DataTypes.UUID },
      },
      { sequelize, tableName: 'plan_items', underscored: true },
    );
  }
}
