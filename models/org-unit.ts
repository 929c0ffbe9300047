import { DataTypes, Model, type Sequelize } from 'sequelize';

export const UNIT_KINDS = ['region', 'division', 'facility'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

/** Which kinds may hold a unit of each kind (null: directly under the client). */
export const ALLOWED_PARENTS: Record<UnitKind, Array<UnitKind | null>> = {
  region: [null],
  division: [null, 'region'],
  facility: [null, 'region', 'division'],
};

/** A node of a client's hierarchy: region, division or facility (DESIGN.md §3). */
export class OrgUnit extends Model {
  declare id: string;
  declare clientId: string;
  declare kind: UnitKind;
  declare name: string;
  declare code: string | null;
  declare parentId: string | null;
  declare address: string | null;
  /** Facilities only; null means the client's default time zone. */
  declare timeZone: string | null;
  declare active: boolean;
  declare createdAt: Date;
  declare updatedAt: Date;

  static initModel(sequelize: Sequelize): void {
    OrgUnit.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        clientId: { type: DataTypes.UUID, allowNull: false },
        kind: { type: DataTypes.TEXT, allowNull: false },
        name: { type: DataTypes.TEXT, allowNull: false },
        code: { type: DataTypes.TEXT },
        parentId: { type: DataTypes.UUID },
        address: { type: DataTypes.TEXT },
        timeZone: { type: DataTypes.TEXT },
        active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      },
      { sequelize, tableName: 'org_units', underscored: true },
    );
  }
}
